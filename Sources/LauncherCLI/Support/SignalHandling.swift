import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into cancellation of the command's task, so the library's cleanup runs.
///
/// First signal: the work is cancelled; the launcher terminates the pod it created and confirms it gone, and the
/// process exits 130. Second signal (during that cleanup): a warning names the pod that may still bill and the
/// command to terminate it, and the process exits 130 at once.
final class SignalHandling {
    private let sources: [any DispatchSourceSignal]

    /// Installs the handlers; `cancel` is called on the first signal. Keep the value alive while the work runs.
    init(session: Session, console: any Console, cancel: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "runpod-launcher.signals")
        sources = [SIGINT, SIGTERM].map { signalNumber in
            #if canImport(Darwin)
                // On Darwin, Dispatch delivers signals through kqueue only when the default action is off.
                signal(signalNumber, SIG_IGN)
            #endif
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                Self.received(signalNumber, session: session, console: console, cancel: cancel)
            }
            source.resume()
            return source
        }
    }

    /// Stops listening (the default actions apply again after the command is done).
    func uninstall() {
        for source in sources { source.cancel() }
    }

    private static func received(_ signalNumber: Int32, session: Session, console: any Console, cancel: @Sendable () -> Void) {
        let name = signalNumber == SIGINT ? "Ctrl-C" : "SIGTERM"
        let again = session.markInterrupted()
        if !again {
            let pods = session.livePods
            if pods.isEmpty {
                console.err("\n\(name): stopping…")
            } else {
                console.err("\n\(name): stopping and terminating pod \(pods.joined(separator: ", ")) (press Ctrl-C again to exit without waiting)…")
            }
            cancel()
            return
        }
        console.err(interruptedDuringCleanupWarning(pods: session.livePods))
        exit(ExitStatus.interrupted.rawValue)
    }

    /// What a second Ctrl-C prints: the pods that may still bill and how to terminate them.
    static func interruptedDuringCleanupWarning(pods: [String]) -> String {
        guard !pods.isEmpty else { return "\ninterrupted again: exiting now." }
        let commands = pods.map { "  runpod-launcher terminate \($0)" }.joined(separator: "\n")
        return "\nwarning: interrupted again during cleanup; pod \(pods.joined(separator: ", ")) may still be running and billing. "
            + "Terminate it with:\n\(commands)"
    }
}
