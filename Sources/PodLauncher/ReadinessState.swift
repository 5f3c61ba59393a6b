import Foundation
import RunPodAPI
import Synchronization

/// Where one wait stands: when the API is read next, when the app is probed next, and what the last read showed.
struct ReadinessWait {
    /// Reads of the pod so far (the poll schedule's step).
    var reads = 0
    /// When the next scheduled read is due (stopwatch time).
    var nextRead = Duration.zero
    /// When the next probe is due; nil until the app's URL is known.
    var nextProbe: Duration?
    /// The app port and its probe URL, from the first read.
    var target: (port: Int, url: URL)?
    /// The last read's pod when it showed RUNNING with runtime ports; nil otherwise.
    var apiReady: RunPod.Pod?
    /// True once an answering probe has been confirmed by a read; cleared when a probe fails.
    var confirmedThisAnswer = false
    /// Time between probes (at least 1 ms, so a zero setting cannot spin).
    let probeInterval: Duration

    init(probeInterval: Duration) { self.probeInterval = max(probeInterval, .milliseconds(1)) }
}

/// The end of a wait: `check()` throws `timedOut` with what the wait was still waiting for.
struct WaitDeadline {
    var timeout: Duration
    var stopwatch: Stopwatch
    var podID: String
    var watch: WaitState

    func check() throws {
        guard stopwatch.elapsed >= timeout else { return }
        let (status, waitingFor) = watch.snapshot
        throw LauncherError.timedOut(podID: podID, after: timeout, lastStatus: status, waitingFor: waitingFor)
    }

    /// `delay`, shortened so a sleep never runs past the deadline.
    func bounded(_ delay: Duration) -> Duration {
        let remaining = timeout - stopwatch.elapsed
        return max(.zero, min(delay, remaining))
    }
}

/// What the wait has seen, shared between the poller and the deadline (for the timeout message).
final class WaitState: Sendable {
    private struct State {
        var status: RunPod.PodStatus?
        var waitingFor = "RunPod to report the pod"
        var lastReadError: String?
    }

    private let state = Mutex(State())

    /// Records a status; returns the previous one when it changed.
    func update(status: RunPod.PodStatus) -> (from: RunPod.PodStatus?, Void)? {
        state.withLock { state in
            guard state.status != status else { return nil }
            defer { state.status = status }
            return (state.status, ())
        }
    }

    func waiting(for what: String) {
        state.withLock {
            $0.waitingFor = what
            $0.lastReadError = nil
        }
    }

    func readFailed(_ what: String) { state.withLock { $0.lastReadError = what } }

    var snapshot: (RunPod.PodStatus?, String) {
        state.withLock { state in
            (state.status, state.waitingFor + (state.lastReadError.map { " (last read of the pod failed: \($0))" } ?? ""))
        }
    }
}
