import Foundation
import PodLauncher

/// Where a launch is in its life. `terminated` and `failed` are final.
///
/// pending (recorded, no create sent) → creating (create sent) → starting (RunPod has the pod) → ready; any live state
/// → terminating (asked to end, or failing) → terminated (ended on request) or failed (ended by an error or a limit).
public enum LaunchState: String, Sendable, Hashable, Codable, CaseIterable {
    case pending, creating, starting, ready, terminating, terminated, failed

    /// True for `terminated` and `failed`: nothing happens to the launch any more.
    public var isFinal: Bool { self == .terminated || self == .failed }
    /// The states a launch can still leave.
    public static let live: [LaunchState] = [.pending, .creating, .starting, .ready, .terminating]
}

/// Why a launch failed: `LauncherError.name` (the CLI's `--json` `error.kind`) and a message for a person.
public struct LaunchFailure: Sendable, Hashable, Codable {
    public var kind: String
    public var message: String

    public init(kind: String, message: String) {
        self.kind = kind
        self.message = message
    }

    /// The failure a `LauncherError` describes.
    public init(_ error: LauncherError) {
        self.init(kind: error.name, message: error.reasonDescription)
    }
}

/// What a launch was asked to do, resolved once at the POST and stored with it: editing profiles.toml later changes
/// no launch, and limits hold across restarts.
public struct LaunchPlanRecord: Sendable, Hashable, Codable {
    /// The pod (its name is the launch's; its env without the service's stamps).
    public var spec: LaunchSpec
    /// Network volumes to choose from (a profile may list several); empty: `spec.networkVolumeID` as it is.
    public var networkVolumeIDs: [String]
    /// How long from the POST the launch may take to become ready, in seconds.
    public var timeoutSeconds: Int
    /// The pod's limits, counted from its creation.
    public var maxLifetimeSeconds: Int?
    public var maxCostUSD: Double?
    /// The HTTP path probed on the app port, and whether the app is probed at all.
    public var readyPath: String
    public var probeApp: Bool

    public init(
        spec: LaunchSpec, networkVolumeIDs: [String] = [], timeoutSeconds: Int, maxLifetimeSeconds: Int? = nil, maxCostUSD: Double? = nil,
        readyPath: String = "/", probeApp: Bool = true
    ) {
        self.spec = spec
        self.networkVolumeIDs = networkVolumeIDs
        self.timeoutSeconds = timeoutSeconds
        self.maxLifetimeSeconds = maxLifetimeSeconds
        self.maxCostUSD = maxCostUSD
        self.readyPath = readyPath
        self.probeApp = probeApp
    }

    /// The limits, as the launcher counts them.
    public var limits: PodLimits {
        PodLimits(maxLifetime: maxLifetimeSeconds.map { .seconds($0) }, maxCost: maxCostUSD)
    }
}

/// The service's record of one pod it is responsible for: one row of `launches`.
///
/// Its `id` is the launch ID the pod carries (`RUNPOD_LAUNCHER_LAUNCH_ID`), stored before RunPod is asked, so a crash
/// at any point is reconciled by it. `version` grows by one with every write: writes are compare-and-set on it.
public struct Launch: Sendable, Hashable {
    public var id: String
    public var state: LaunchState
    public var version: Int
    public var name: String
    public var pool: String?
    public var plan: LaunchPlanRecord
    public var podID: String?
    public var gpuTypeID: String?
    public var dataCenterID: String?
    public var costPerHour: Double?
    /// HTTP port → URL, once ready.
    public var urls: [Int: String]?
    public var createdAt: Date
    /// When the current create was sent (the CAS to `creating`): how long a lost answer has had to land.
    public var createSentAt: Date?
    /// When RunPod created the pod: cost and lifetime count from here.
    public var podCreatedAt: Date?
    public var readyAt: Date?
    public var endedAt: Date?
    public var error: LaunchFailure?

    public init(id: String, name: String, plan: LaunchPlanRecord, createdAt: Date, pool: String? = nil) {
        self.id = id
        self.state = .pending
        self.version = 1
        self.name = name
        self.pool = pool
        self.plan = plan
        self.createdAt = createdAt
    }

    /// When the launch must be ready by.
    public var readyDeadline: Date { createdAt.addingTimeInterval(TimeInterval(plan.timeoutSeconds)) }

    /// USD spent at `now`: the rate times the pod's age (until `endedAt` once ended); 0 before a pod exists.
    public func cost(at now: Date) -> Double {
        guard let rate = costPerHour, rate > 0, let start = podCreatedAt else { return 0 }
        let end = endedAt ?? now
        return PodCost.cost(costPerHour: rate, over: .seconds(max(0, end.timeIntervalSince(start))))
    }

    /// A fresh launch ID: 128 random bits as 32 lowercase hex digits.
    public static func newID() -> String { PodIdentity.randomHex(32) }

    /// True for a string shaped like a launch ID.
    public static func isID(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
