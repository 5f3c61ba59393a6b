import Foundation
import RunPodAPI

/// How a launch behaves beyond the pods themselves: how many must be ready and how soon, what happens on failure,
/// which of several volumes to use, whether to wait for capacity, budget limits and a pod-side deadline. The default
/// is a plain launch: every pod ready within `Defaults.readyTimeout`, all terminated on any failure.
public struct LaunchOptions: Sendable {
    /// How long each pod may take to become ready, counted from its create.
    public var timeout: Duration
    /// Leave the pods that failed running (to inspect them) instead of terminating them. Pods that did not fail are
    /// still terminated, and a crossed limit always terminates.
    public var keepOnFailure: Bool
    /// At most this many creates (and probes, and terminates) in flight at once.
    public var concurrency: Int
    /// The launch succeeds when this many pods are ready; nil means all of them (all-or-nothing). Pods that fail are
    /// terminated and not replaced.
    public var minReady: Int?
    /// Network volumes to choose from, one per data center: the launch uses the first whose data center has stock for
    /// the highest-priority GPU (see `chooseNetworkVolume`). Empty: the spec's `networkVolumeID` as it is.
    public var networkVolumeIDs: [String]
    /// How long to keep trying when no requested GPU has stock (nil: fail at once with `noCapacity`).
    public var waitForCapacity: Duration?
    /// The pause between capacity tries.
    public var capacityBackoff: CapacityBackoff
    /// Terminate a pod when it has lived or cost this much (client-side, each pod counted from its own create).
    public var limits: PodLimits
    /// Also make each pod stop itself at `limits.maxLifetime` (see `PodSideDeadline`); needs a wrappable start command.
    public var podSideDeadline: PodSideDeadline?
    /// The wall clock the pod-side deadline is computed from (tests pass the emulator's).
    public var now: @Sendable () -> Date
    /// The launch ID of each pod (its `RUNPOD_LAUNCHER_LAUNCH_ID`), chosen by the caller — a service that records the ID
    /// before RunPod is asked, so that a crash at any point can be reconciled (`pods(launchIDs:)`). Nil: random IDs.
    public var launchIDs: [String]?

    /// Creates options; every parameter defaults to a plain launch.
    public init(
        timeout: Duration = Defaults.readyTimeout, keepOnFailure: Bool = false, concurrency: Int = LaunchOptions.defaultConcurrency,
        minReady: Int? = nil, networkVolumeIDs: [String] = [], waitForCapacity: Duration? = nil, capacityBackoff: CapacityBackoff = .standard,
        limits: PodLimits = .none, podSideDeadline: PodSideDeadline? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.timeout = timeout
        self.keepOnFailure = keepOnFailure
        self.concurrency = concurrency
        self.minReady = minReady
        self.networkVolumeIDs = networkVolumeIDs
        self.waitForCapacity = waitForCapacity
        self.capacityBackoff = capacityBackoff
        self.limits = limits
        self.podSideDeadline = podSideDeadline
        self.now = now
        self.launchIDs = nil
    }

    /// Eight creates at once: quick for small launches, and the pacer keeps larger ones inside the rate limit.
    public static let defaultConcurrency = 8

    /// The pod names of a launch of `count` pods: the spec's name for one pod; `NAME-1` … `NAME-N` for several when
    /// the spec names them; generated ones (nil) otherwise.
    public static func podName(base: String?, index: Int, count: Int) -> String? {
        guard let base, count > 1 else { return base }
        return "\(base)-\(index + 1)"
    }
}

/// The pause between two tries while waiting for capacity: grows, is capped, spreads out when RunPod's rate-limit
/// budget runs low (the `PollSchedule` rule), and is jittered so many waiting launchers do not retry in step.
public struct CapacityBackoff: Sendable, Hashable {
    /// The growth, cap and rate-limit rule.
    public var schedule: PollSchedule
    /// Jitter: each pause is drawn from [½, 1] × the scheduled one.
    public var jitter: Bool

    /// Creates a backoff.
    public init(schedule: PollSchedule, jitter: Bool = true) {
        self.schedule = schedule
        self.jitter = jitter
    }

    /// 5 s, growing ×1.5 to 60 s, jittered: at most ~3 catalog reads a minute once settled.
    public static let standard = CapacityBackoff(schedule: PollSchedule(initial: .seconds(5), multiplier: 1.5, maximum: .seconds(60)))

    /// The pause after try number `attempt` (1 = the first), given RunPod's last rate-limit report.
    public func delay(afterTry attempt: Int, rateLimit: RateLimitStatus?) -> Duration {
        let scheduled = schedule.delay(afterPoll: attempt, rateLimit: rateLimit)
        guard jitter else { return scheduled }
        // A pause stretched by the rate-limit rule is RunPod's floor: jitter only the growth part, which is ours.
        if scheduled > schedule.delay(afterPoll: attempt, rateLimit: nil) { return scheduled }
        let floor = scheduled / 2
        let span = scheduled - floor
        return floor + span * Double.random(in: 0...1)
    }
}
