import Dispatch
import Foundation
import RunPodAPI
import Synchronization

/// Follows one pod's log while a launch waits: each new line goes to `onLine` (the live progress line), and the
/// last `keep` lines are kept so a pod that fails to start can show why.
///
/// Streams `GET /v2/pods/{id}/logs` (both sources, the recent backfill first) from `start(podID:)` until `stop()` or
/// until RunPod ends the stream (the pod reached ERROR, EXITED or was terminated). Stream errors only end the tail:
/// logs are a help here, never a reason for a launch to fail.
final class LogTail: Sendable {
    private struct State {
        var podID: String?
        var lines: [String] = []
        var task: Task<Void, Never>?
        var ended = false
        var stopped = false
        var onEnd: (@Sendable () -> Void)?
    }

    private let client: RunPodClient
    private let keep: Int
    private let onLine: @Sendable (String) -> Void
    private let state = Mutex(State())
    /// Signalled once when the stream ends by itself or is stopped.
    private let endedSignal = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - keep: how many of the newest lines to keep for a failure report.
    ///   - onLine: called with each new non-blank line, made printable (`LogTail.printable`) and trimmed.
    init(client: RunPodClient, keep: Int = 20, onLine: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.keep = keep
        self.onLine = onLine
    }

    /// Calls `action` once when the stream ends by itself (RunPod closed it, or it failed); not after `stop()`.
    func whenEnded(_ action: @escaping @Sendable () -> Void) { state.withLock { $0.onEnd = action } }

    /// The pod being followed, once started.
    var podID: String? { state.withLock { $0.podID } }

    /// The newest lines (at most `keep`), oldest first, as printable text with their source.
    var lastLines: [String] { state.withLock { $0.lines } }

    /// True once RunPod ended the stream (or it failed, or `stop()` was called).
    var hasEnded: Bool { state.withLock { $0.ended } }

    /// Starts following `podID`. Only the first pod is followed: later calls (another pod, or the same) do nothing.
    func start(podID: String) {
        state.withLock { state in
            guard state.podID == nil, !state.stopped else { return }
            state.podID = podID
            state.task = Task { [self] in
                await self.follow(podID)
                self.markEnded()
            }
        }
    }

    /// Stops following; the kept lines stay readable.
    func stop() {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.stopped = true
            if state.task == nil, !state.ended {
                state.ended = true
                endedSignal.signal()
            }
            return state.task
        }
        task?.cancel()
    }

    /// Blocks the calling thread until the stream has ended or `timeout` passed; true when it ended.
    ///
    /// For the moment a launch has failed: RunPod ends the stream of an ERROR, EXITED or terminated pod right after
    /// its last lines (the ones that say why), which may still be on the way. Call it only from synchronous code
    /// at the end of a command, with a short timeout.
    func waitUntilEnded(timeout: Duration) -> Bool {
        if hasEnded { return true }
        let milliseconds = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard endedSignal.wait(timeout: .now() + .milliseconds(milliseconds)) == .success else { return false }
        endedSignal.signal()  // leave it signalled for any later waiter
        return true
    }

    private func follow(_ podID: String) async {
        do {
            for try await line in client.podLogs(id: podID) {
                let text = Self.printable(line.line)
                state.withLock { state in
                    state.lines.append(line.source == "container" ? text : "[\(line.source)] \(text)")
                    if state.lines.count > keep { state.lines.removeFirst(state.lines.count - keep) }
                }
                let shown = text.trimmingCharacters(in: .whitespaces)
                if !shown.isEmpty { onLine(shown) }
            }
        } catch {
            // A 404 (the pod is gone), a rejected key or a dropped connection only end the tail.
        }
    }

    private func markEnded() {
        let action = state.withLock { state -> (@Sendable () -> Void)? in
            guard !state.ended else { return nil }
            state.ended = true
            endedSignal.signal()
            return state.stopped ? nil : state.onEnd
        }
        action?()
    }

    /// A log line made safe for one terminal line: control characters (ANSI escapes, carriage returns, tabs) become
    /// spaces or go, trailing whitespace goes.
    static func printable(_ line: String) -> String {
        // A progress bar redrawn with carriage returns: what a terminal would show is the last redraw.
        let shown = line.split(separator: "\r", omittingEmptySubsequences: true).last.map(String.init) ?? ""
        var text = ""
        var scalars = shown.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            if scalar == "\u{1B}" {
                // Skip an ANSI CSI sequence: ESC [ parameters final-byte.
                guard let next = scalars.next(), next == "[" else { continue }
                while let c = scalars.next(), !(0x40...0x7E).contains(c.value) {}
                continue
            }
            if scalar == "\t" {
                text.unicodeScalars.append(" ")
            } else if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                continue
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        // Leading spaces stay: a traceback's indentation is part of what it says.
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}
