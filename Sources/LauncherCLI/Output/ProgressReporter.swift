import Foundation
import PodLauncher
import Synchronization

/// Renders `LaunchEvent`s on stderr: a plain line per event, plus a live updating line when stderr is a terminal.
///
/// It also tells the ``Session`` which pods exist and which are confirmed gone, so a failure or a second Ctrl-C
/// can name a pod that may still bill.
final class ProgressReporter: Sendable {
    private struct Live {
        var state = ProgressState()
        var frame = 0
        var ticker: Task<Void, Never>?
        var lineShown = false
    }

    private let console: any Console
    private let session: Session
    private let live: Bool
    private let width: Int
    private let start = ContinuousClock.now
    private let storage = Mutex(Live())

    init(console: any Console, session: Session, quiet: Bool = false) {
        self.console = console
        self.session = session
        self.live = console.stderrIsTerminal && !quiet
        self.width = Self.terminalWidth()
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
        case .created(let pod): session.podExists(pod.id)
        case .terminated(let podID): session.podGone(podID)
        default: break
        }
        let line = ProgressDrawing.line(for: event, elapsed: elapsed)
        storage.withLock { live in
            live.state.apply(event)
            if self.live {
                console.writeErr(Self.clear + line + "\n")
                draw(&live)
                startTickerIfNeeded(&live)
            } else {
                console.err(line)
            }
        }
    }

    /// Prints a human message on stderr without breaking the live line.
    func message(_ text: String) {
        storage.withLock { live in
            if self.live {
                console.writeErr(Self.clear + text + "\n")
                if live.lineShown { draw(&live) }
            } else {
                console.err(text)
            }
        }
    }

    /// Stops the live line and clears it. Call once the command's work is over.
    func finish() {
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

    private static let clear = "\r\u{1B}[2K"

    private func draw(_ live: inout Live) {
        guard !live.state.finished else { return }
        console.writeErr(Self.clear + ProgressDrawing.liveLine(live.state, elapsed: elapsed, frame: live.frame, width: width))
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
