import Foundation
import RunPodAPI

/// How a fleet of identical pods is launched: how many, how many at once, and how many must be ready.
///
/// Semantics: by default a fleet is all-or-nothing: the first pod that cannot be created or fails to become ready
/// stops the launch, and every pod the fleet created is terminated and confirmed gone. With `minReady` below
/// `count`, a pod that fails is given up (and terminated at the end) while the others go on; the fleet succeeds when
/// at least `minReady` pods are ready, and fails (terminating all) as soon as that can no longer happen. Failed pods
/// are not replaced.
public struct FleetOptions: Sendable, Hashable {
    /// How many pods to launch.
    public var count: Int
    /// At most this many creates in flight at once (also bounds concurrent app probes and terminates).
    public var concurrency: Int
    /// The fleet succeeds when this many pods are ready (default: all of them).
    public var minReady: Int
    /// How long each pod may take to become ready, counted from its create.
    public var timeout: Duration

    /// Creates options; `minReady` defaults to `count` (all-or-nothing).
    public init(count: Int, concurrency: Int = FleetOptions.defaultConcurrency, minReady: Int? = nil, timeout: Duration = Defaults.readyTimeout) {
        self.count = count
        self.concurrency = concurrency
        self.minReady = minReady ?? count
        self.timeout = timeout
    }

    /// Eight creates at once: quick for small fleets, and the pacer keeps larger ones inside the rate limit.
    public static let defaultConcurrency = 8

    /// The pod names of a fleet: `NAME-1` … `NAME-N` when the spec names the pods, else generated ones (nil).
    public static func podName(base: String?, index: Int) -> String? { base.map { "\($0)-\(index + 1)" } }
}

/// A launched fleet: the ready pods, in launch order, and the pods given up on (with `minReady` below `count`).
public struct Fleet: Sendable {
    /// The ready pods, ordered by their place in the fleet (`NAME-1` first).
    public var pods: [ReadyPod]
    /// Pods that failed and were terminated (only when `minReady` allowed going on without them).
    public var failures: [FleetPodFailure]
    /// What the launch cost in API requests and pacing.
    public var statistics: FleetStatistics

    /// Creates a fleet value.
    public init(pods: [ReadyPod], failures: [FleetPodFailure], statistics: FleetStatistics) {
        self.pods = pods
        self.failures = failures
        self.statistics = statistics
    }

    /// The pod IDs, in fleet order.
    public var podIDs: [String] { pods.map(\.pod.id) }
}

/// One pod of a fleet that did not become ready.
public struct FleetPodFailure: Sendable, CustomStringConvertible {
    /// Its place in the fleet (0-based).
    public var index: Int
    /// The pod, when it was created.
    public var podID: String?
    /// Why it failed.
    public var error: LauncherError

    /// Creates a failure record.
    public init(index: Int, podID: String?, error: LauncherError) {
        self.index = index
        self.podID = podID
        self.error = error
    }

    public var description: String { "pod \(index + 1)\(podID.map { " (\($0))" } ?? ""): \(error.description)" }
}

/// What a fleet launch spent: wall time and the pacing the rate limit asked for.
public struct FleetStatistics: Sendable, Hashable {
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

/// A fleet launch that failed or was cancelled, with what became of every pod it created.
public struct FleetFailure: Error, Sendable, CustomStringConvertible {
    /// The first failure that stopped the fleet (a `LauncherError`), or `CancellationError`.
    public var error: any Error
    /// Every pod that failed, in fleet order.
    public var failures: [FleetPodFailure]
    /// Pods the fleet created and then terminated (confirmed gone).
    public var terminated: [String]
    /// Pods that may still be running and billing: their terminate could not be confirmed.
    public var leftRunning: [String]
    /// Why each of those could not be terminated.
    public var cleanupErrors: [String: LauncherError]

    /// Creates a failure.
    public init(
        error: any Error, failures: [FleetPodFailure], terminated: [String], leftRunning: [String], cleanupErrors: [String: LauncherError] = [:]
    ) {
        self.error = error
        self.failures = failures
        self.terminated = terminated
        self.leftRunning = leftRunning
        self.cleanupErrors = cleanupErrors
    }

    /// True when the task was cancelled (SIGINT/SIGTERM in the CLI).
    public var isCancellation: Bool { error is CancellationError }

    /// The launcher's error, when the failure was not a cancellation.
    public var launcherError: LauncherError? { error as? LauncherError }

    public var description: String {
        var text = isCancellation ? "Cancelled." : "\((error as? LauncherError)?.description ?? "\(error)")"
        if failures.count > 1 { text += " (\(failures.count) pods failed.)" }
        if !terminated.isEmpty { text += " Terminated \(terminated.count) pod\(terminated.count == 1 ? "" : "s") the fleet created." }
        if !leftRunning.isEmpty {
            text += " Pods \(leftRunning.joined(separator: ", ")) may still be running and billing; terminate them with "
            text += "`runpod-launcher terminate \(leftRunning.joined(separator: " "))`."
        }
        return text
    }
}

/// Progress of a fleet launch, as typed values (the CLI prints them; `index` is the pod's 0-based place in the fleet).
public enum FleetEvent: Sendable {
    /// Placement was read once for the whole fleet.
    case placed(dataCenterID: String?, candidates: [PlacementCandidate])
    /// A pod exists (and may bill from now on); `created` of `total` exist so far.
    case created(index: Int, pod: Pod, created: Int, total: Int)
    /// RunPod reported a new status for a pod.
    case statusChanged(index: Int, podID: String, status: RunPod.PodStatus)
    /// A pod is ready; `ready` of `total` are.
    case ready(index: Int, pod: ReadyPod, ready: Int, total: Int)
    /// A pod failed (with `minReady` below `count` the fleet may go on without it).
    case podFailed(FleetPodFailure)
    /// Calls are held back to stay inside the rate limit.
    case pacing(wait: Duration, reason: String)
    /// Cleanup started: `count` pods are being terminated.
    case terminating(count: Int, reason: String)
    /// A pod was confirmed gone.
    case terminated(podID: String)
}
