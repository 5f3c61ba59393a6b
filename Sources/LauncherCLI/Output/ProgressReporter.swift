import Foundation
import PodLauncher
import RunPodAPI
import Synchronization

/// Renders `LaunchEvent`s on stderr: a plain line per event, plus a live updating line when stderr is a terminal.
///
/// It also tells the ``Session`` which pods exist and which are confirmed gone, so a failure or a second Ctrl-C
/// can name a pod that may still bill.
///
/// Given a client for logs, it follows the pod's log while waiting (a ``LogTail``, from the first event naming a
/// pod until ready): the live line shows the latest log line, and when the wait ends without the pod ready (it
/// failed, exited, never answered or timed out) `finish()` prints the pod's last log lines before the error.
final class ProgressReporter: Sendable {
    private struct Live {
        var state = ProgressState()
        var frame = 0
        var ticker: Task<Void, Never>?
        var lineShown = false
        /// The pods seen (a fleet shows no single pod's log).
        var pods: Set<String> = []
        var ready = false
        /// RunPod will end the log stream soon: the pod went to ERROR/EXITED or a terminate was sent.
        var streamEnding = false
        var failureLogShown = false
    }

    private let console: any Console
    private let session: Session
    private let live: Bool
    private let width: Int
    private let start = ContinuousClock.now
    private let storage = Mutex(Live())
    private let logTail: LogTail?
    /// The newest log line, written by the log tail and drawn by the ticker.
    private let latestLog = LatestLogLine()

    /// How long `finish()` waits, at most, for the last log lines of a pod that failed (RunPod ends the stream right
    /// after them). Usually nothing: the block is printed as soon as the stream ends, while the launcher still cleans up.
    static let failureLogGrace: Duration = .seconds(1)

    /// - Parameter logs: a client to follow the pod's log with; nil shows no log.
    init(console: any Console, session: Session, quiet: Bool = false, logs: RunPodClient? = nil) {
        self.console = console
        self.session = session
        self.live = console.stderrIsTerminal && !quiet
        self.width = Self.terminalWidth()
        guard let logs else {
            self.logTail = nil
            return
        }
        let latest = self.latestLog
        let logTail = LogTail(client: logs) { line in latest.set(line) }
        self.logTail = logTail
        // RunPod ends the stream of a pod that failed right after the lines that say why: show them then, in step
        // with the progress lines, rather than only when the command is over.
        logTail.whenEnded { [weak self] in self?.printFailureLog(waitingForEnd: false, onlyIfEnding: true) }
    }

    /// Columns of the terminal on stderr (80 when unknown); one less is drawn so the cursor never wraps.
    private static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 79 }
        return Int(size.ws_col) - 1
    }

    /// Elapsed time since the command started.
    var elapsed: Duration { ContinuousClock.now - start }

    /// Handles one event from the library (called from any task).
    func handle(_ event: LaunchEvent) {
        switch event {
        case .created(let pod, _, _, _): session.podExists(pod.id)
        case .terminated(let podID): session.podGone(podID)
        default: break
        }
        let follow = storage.withLock { live -> LogFollow in
            let follow = Self.logFollow(after: event, eager: self.live, &live)
            live.state.apply(event)
            let line = ProgressDrawing.line(for: event, elapsed: elapsed, state: live.state)
            if self.live {
                if let line { console.writeErr(Self.clear + TerminalText.escaped(line) + "\n") }
                draw(&live)
                startTickerIfNeeded(&live)
            } else if let line {
                console.err(line)
            }
            return follow
        }
        switch follow {
        case .start(let podID): logTail?.start(podID: podID)
        case .startUnlessReady(let podID, let after): startTailUnlessReady(podID: podID, after: after)
        case .stop: logTail?.stop()
        case .none: break
        }
    }

    private enum LogFollow {
        case start(String)
        /// Start after a grace period unless the pod is ready by then.
        case startUnlessReady(String, after: Duration)
        case stop
        case none
    }

    /// Off a terminal there is no live line to feed: the log is only needed if the pod fails, so a pod that is ready
    /// within this grace costs no log stream (a zero-delay launch stays at six RunPod calls). A status short of RUNNING
    /// or a terminate starts the tail at once, so a failing pod's last lines are still caught.
    static let quietLogGrace: Duration = .seconds(1)

    private func startTailUnlessReady(podID: String, after grace: Duration) {
        guard let logTail else { return }
        Task { [weak self] in
            try? await Task.sleep(for: grace)
            guard let self, !self.storage.withLock({ $0.ready || $0.state.finished }) else { return }
            logTail.start(podID: podID)
        }
    }

    /// What the log tail should do after `event`; records what `finish()` needs to know. `eager` (a live line on a
    /// terminal) follows from creation; otherwise only once the pod is seen not ready.
    private static func logFollow(after event: LaunchEvent, eager: Bool, _ live: inout Live) -> LogFollow {
        var podID: String?
        switch event {
        case .created(let pod, _, _, let count):
            if count > 1 { live.pods.insert(pod.id) }
            if !eager {
                live.pods.insert(pod.id)
                return live.pods.count > 1 ? .stop : .startUnlessReady(pod.id, after: quietLogGrace)
            }
            podID = pod.id
        case .statusChanged(let id, _, let to, _):
            podID = id
            if to == .error || to == .exited || to == .terminated { live.streamEnding = true }
            if !eager, to == .running { return .none }
        case .probing(let id, _, _):
            if !eager { return .none }
            podID = id
        case .terminating(let id, _):
            podID = id
            live.streamEnding = true
        case .ready(_, _, let count):
            live.ready = live.state.ready + 1 >= count
            return .stop
        default: return .none
        }
        guard let podID else { return .none }
        live.pods.insert(podID)
        // Several pods (a fleet): one pod's log on the live line would mislead.
        if live.pods.count > 1 { return .stop }
        return live.ready ? .none : .start(podID)
    }

    /// Prints a human message on stderr without breaking the live line.
    func message(_ text: String) {
        storage.withLock { live in
            if self.live {
                console.writeErr(Self.clear + TerminalText.escaped(text) + "\n")
                if live.lineShown { draw(&live) }
            } else {
                console.err(text)
            }
        }
    }

    /// Stops the live line and clears it. Call once the command's work is over.
    ///
    /// When a pod's log was followed and the pod never became ready (and the run was not interrupted), prints the
    /// pod's last log lines first, waiting up to ``failureLogGrace`` for the ones RunPod is still sending.
    func finish() {
        printFailureLogIfNeeded()
        logTail?.stop()
        storage.withLock { live in
            live.ticker?.cancel()
            live.ticker = nil
            live.state.finished = true
            if self.live, live.lineShown {
                console.writeErr(Self.clear)
                live.lineShown = false
            }
        }
    }

    private func printFailureLogIfNeeded() { printFailureLog(waitingForEnd: true, onlyIfEnding: false) }

    /// Prints the failed pod's last log lines once: when the stream ended after a failure was seen
    /// (`onlyIfEnding`), or at `finish()` when the pod never became ready.
    private func printFailureLog(waitingForEnd: Bool, onlyIfEnding: Bool) {
        guard let logTail, let podID = logTail.podID, !session.interrupted else { return }
        let (show, ending) = storage.withLock { live -> (Bool, Bool) in
            guard !live.ready, !live.failureLogShown, live.pods.count == 1, !onlyIfEnding || live.streamEnding else { return (false, false) }
            live.failureLogShown = true
            return (true, live.streamEnding)
        }
        guard show else { return }
        if waitingForEnd, ending { _ = logTail.waitUntilEnded(timeout: Self.failureLogGrace) }
        message(ProgressDrawing.failureLog(podID: podID, lines: logTail.lastLines))
    }

    private static let clear = "\r\u{1B}[2K"

    private func draw(_ live: inout Live) {
        guard !live.state.finished else { return }
        if !live.ready, let log = latestLog.value { live.state.logLine = log }
        console.writeErr(Self.clear + TerminalText.escaped(ProgressDrawing.liveLine(live.state, elapsed: elapsed, frame: live.frame, width: width)))
        live.lineShown = true
    }

    private func startTickerIfNeeded(_ live: inout Live) {
        guard live.ticker == nil, !live.state.finished else { return }
        live.ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                guard let self, !Task.isCancelled else { return }
                self.tick()
            }
        }
    }

    private func tick() {
        storage.withLock { live in
            guard !live.state.finished else { return }
            live.frame += 1
            draw(&live)
        }
    }
}

/// The newest line of the followed pod's log, shared between the log tail's task and the drawing.
private final class LatestLogLine: Sendable {
    private let line = Mutex<String?>(nil)

    var value: String? { line.withLock { $0 } }

    func set(_ text: String) { line.withLock { $0 = text } }
}
