import Foundation
import Synchronization

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Turns SIGINT and SIGTERM into cancellation of the command's task, so the library's cleanup runs.
///
/// First signal: the work is cancelled; the launcher terminates the pod it created and confirms it gone, and the
/// process exits 130. Second signal (during that cleanup): a warning names the pod that may still bill and the
/// command to terminate it, and the process exits 130 at once.
///
/// One process-wide handler (``installEarly()``, the first thing the process does) catches both signals from then
/// until exit: there is no hand-over between handlers, so there is no moment at which a signal takes its default
/// action or is lost. The handler only writes the signal number to a pipe; a thread reading the pipe decides:
/// - before any command work started: exit 130 at once (nothing exists to clean up);
/// - once work started but before the command's handler is in place: keep the signal, and deliver it the moment
///   the handler is installed (work that may create a pod is never cut short by a bare `exit`);
/// - with the handler in place: the behaviour above.
final class SignalHandling: Sendable {
    /// Installs the handlers; `cancel` is called on the first signal. Keep the value alive while the work runs.
    init(session: Session, console: any Console, cancel: @escaping @Sendable () -> Void) {
        Self.installEarly()
        Self.install { signalNumber in Self.received(signalNumber, session: session, console: console, cancel: cancel) }
    }

    /// Stops delivering signals to this command (its work is over; the process is about to exit with its status).
    func uninstall() {
        Self.state.withLock { $0.stage = .finished }
    }

    private static func received(_ signalNumber: Int32, session: Session, console: any Console, cancel: @Sendable () -> Void) {
        let name = displayName(signalNumber)
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

    static func displayName(_ signalNumber: Int32) -> String { signalNumber == SIGINT ? "Ctrl-C" : "SIGTERM" }

    // MARK: - The process-wide handler

    /// Where the process is, as far as signals are concerned.
    enum Stage {
        /// Parsing, or a command that has not started work: a signal exits 130 at once.
        case starting
        /// Work that may create a pod has started, and no handler is installed yet: signals wait in `pending`.
        case working
        /// The command's handler takes every signal.
        case handled(@Sendable (Int32) -> Void)
        /// The command is done (or the process is exiting): signals change nothing.
        case finished
    }

    private struct State {
        var installed = false
        var stage = Stage.starting
        var pending: [Int32] = []
    }

    private static let state = Mutex(State())

    /// Catches SIGINT and SIGTERM for the rest of the process's life. Call it first thing; calling again does nothing.
    static func installEarly() {
        let first = state.withLock { state in
            defer { state.installed = true }
            return !state.installed
        }
        guard first else { return }
        let pipe = signalPipe  // Created here, outside the handler: the handler must only read it.
        guard pipe.write >= 0 else { return }
        Thread.detachNewThread { readSignals(from: pipe.read) }
        var action = sigaction()
        #if canImport(Darwin)
            action.__sigaction_u.__sa_handler = forwardSignal
        #else
            action.__sigaction_handler.sa_handler = forwardSignal
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for signalNumber in [SIGINT, SIGTERM] { sigaction(signalNumber, &action, nil) }
    }

    /// Called when a command starts work that may create a pod: from now on a signal is held for the command's
    /// handler instead of exiting the process. Throws `CancellationError` when a signal already ended the process.
    static func beginWork() throws {
        let exiting = state.withLock { state -> Bool in
            switch state.stage {
            case .starting:
                state.stage = .working
                return false
            case .finished:
                return true
            case .working, .handled:
                return false
            }
        }
        if exiting { throw CancellationError() }
    }

    private static func install(_ handler: @escaping @Sendable (Int32) -> Void) {
        let pending = state.withLock { state -> [Int32] in
            defer { state.pending = [] }
            state.stage = .handled(handler)
            return state.pending
        }
        for signalNumber in pending { handler(signalNumber) }
    }

    private static func readSignals(from descriptor: Int32) {
        while true {
            var byte: UInt8 = 0
            let count = read(descriptor, &byte, 1)
            if count == 1 {
                deliver(Int32(byte))
            } else if count < 0, errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    private static func deliver(_ signalNumber: Int32) {
        enum Action {
            case exitNow
            case call(@Sendable (Int32) -> Void)
            case none
        }
        let action = state.withLock { state -> Action in
            switch state.stage {
            case .starting:
                state.stage = .finished
                return .exitNow
            case .working:
                state.pending.append(signalNumber)
                return .none
            case .handled(let handler):
                return .call(handler)
            case .finished:
                return .none
            }
        }
        switch action {
        case .exitNow:
            // Nothing was created yet (work had not started): no cleanup to run. `_exit`, not `exit`: the main
            // thread may be exiting at the same moment, and two concurrent `exit` calls are undefined.
            FileHandle.standardError.write(Data("\n\(displayName(signalNumber)): exiting (nothing was started).\n".utf8))
            _exit(ExitStatus.interrupted.rawValue)
        case .call(let handler):
            handler(signalNumber)
        case .none:
            break
        }
    }
}

/// The pipe from the signal handler to the thread that acts on signals (read end, write end; -1 if it failed).
private let signalPipe: (read: Int32, write: Int32) = {
    var descriptors: [Int32] = [-1, -1]
    guard pipe(&descriptors) == 0 else { return (-1, -1) }
    for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
    // Never block in a signal handler: with 64 KiB of unread signals, dropping one more changes nothing.
    _ = fcntl(descriptors[1], F_SETFL, fcntl(descriptors[1], F_GETFL) | O_NONBLOCK)
    return (descriptors[0], descriptors[1])
}()

/// The signal handler: async-signal-safe, it only writes the signal number to the pipe (and keeps `errno`).
private func forwardSignal(_ signalNumber: Int32) {
    let saved = errno
    var byte = UInt8(truncatingIfNeeded: signalNumber)
    _ = write(signalPipe.write, &byte, 1)
    errno = saved
}
