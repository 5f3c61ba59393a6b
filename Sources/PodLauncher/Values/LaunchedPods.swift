import Foundation

/// What a launch produced: the ready pods, in launch order, and the pods it gave up on (only with
/// `LaunchOptions.minReady` below the count; they were terminated).
public struct LaunchedPods: Sendable {
    /// The ready pods, ordered by their place in the launch (`NAME-1` first).
    public var pods: [ReadyPod]
    /// Pods that failed and were terminated (only when `minReady` allowed going on without them).
    public var failures: [PodFailure]
    /// What the launch cost in time and pacing.
    public var statistics: LaunchStatistics

    /// Creates a result.
    public init(pods: [ReadyPod], failures: [PodFailure], statistics: LaunchStatistics) {
        self.pods = pods
        self.failures = failures
        self.statistics = statistics
    }

    /// The pod IDs, in launch order.
    public var podIDs: [String] { pods.map(\.pod.id) }
}

/// What a launch spent: wall time and the pacing RunPod's rate limit asked for.
public struct LaunchStatistics: Sendable, Hashable {
    /// From the start of the launch until the last pod was ready (on the launcher's clock).
    public var elapsed: Duration
    /// How often the pacer held calls back, and for how long in total.
    public var pacingWaits: Int
    public var pacingWaited: Duration
    /// 429 answers seen (each was waited out, not fatal).
    public var rateLimitedResponses: Int

    /// Creates statistics.
    public init(elapsed: Duration, pacingWaits: Int, pacingWaited: Duration, rateLimitedResponses: Int) {
        self.elapsed = elapsed
        self.pacingWaits = pacingWaits
        self.pacingWaited = pacingWaited
        self.rateLimitedResponses = rateLimitedResponses
    }
}
