import Foundation
import PodLauncher

/// A pool: a profile plus scaling settings. Declared in profiles.toml (`[pools.NAME]`) and/or with
/// `PUT /v1/pools/{name}`, stored in the service's database.
public struct PoolSettings: Sendable, Hashable, Codable {
    public var name: String
    /// The launch profile its pods are made from (nil: the defaults).
    public var profile: String?
    public var min: Int
    public var max: Int
    /// Jobs (leases) one pod takes at once.
    public var perPodConcurrency: Int
    /// A ready pod with no lease and an empty ComfyUI queue for this long is terminated, down to `min`.
    public var idleTimeoutSeconds: Int
    /// A lower desired count must hold this long before pods are removed.
    public var scaleDownDelaySeconds: Int
    /// From zero, scale up only when demand is above this.
    public var activationBacklog: Int
    /// The pool's live pods never cost more than this, USD per hour.
    public var maxCostPerHour: Double?
    /// How long a pod chosen for removal may take to finish its work.
    public var drainTimeoutSeconds: Int
    /// What happens when the drain times out while a lease is still held: keep waiting (default) or terminate.
    public var drainTimeoutAction: DrainTimeoutAction
    /// Where demand beyond lease requests comes from.
    public var source: DemandSourceSpec

    public enum DrainTimeoutAction: String, Sendable, Hashable, Codable, CaseIterable {
        case keepWaiting, terminate
    }

    public init(
        name: String, profile: String? = nil, min: Int = 0, max: Int, perPodConcurrency: Int = 1, idleTimeoutSeconds: Int = 300,
        scaleDownDelaySeconds: Int = 120, activationBacklog: Int = 0, maxCostPerHour: Double? = nil, drainTimeoutSeconds: Int = 900,
        drainTimeoutAction: DrainTimeoutAction = .keepWaiting, source: DemandSourceSpec = .leases
    ) {
        self.name = name
        self.profile = profile
        self.min = min
        self.max = max
        self.perPodConcurrency = perPodConcurrency
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.scaleDownDelaySeconds = scaleDownDelaySeconds
        self.activationBacklog = activationBacklog
        self.maxCostPerHour = maxCostPerHour
        self.drainTimeoutSeconds = drainTimeoutSeconds
        self.drainTimeoutAction = drainTimeoutAction
        self.source = source
    }

    /// The pool's rules broken, each with the key it is about: empty when the settings can run.
    public func problems() -> [(key: String, message: String)] {
        var problems: [(String, String)] = []
        if !Self.isValidName(name) { problems.append(("name", "must be 1 to 64 letters, digits, '-' or '_'")) }
        if min < 0 { problems.append(("min", "must be 0 or more")) }
        if max < 1 || max > 1000 { problems.append(("max", "must be between 1 and 1000")) }
        if min > max { problems.append(("min", "must not be above max (\(max))")) }
        if perPodConcurrency < 1 || perPodConcurrency > 1000 { problems.append(("perPodConcurrency", "must be between 1 and 1000")) }
        if idleTimeoutSeconds < 0 { problems.append(("idleTimeoutSeconds", "must be 0 or more")) }
        if scaleDownDelaySeconds < 0 { problems.append(("scaleDownDelaySeconds", "must be 0 or more")) }
        if activationBacklog < 0 { problems.append(("activationBacklog", "must be 0 or more")) }
        if drainTimeoutSeconds < 0 { problems.append(("drainTimeoutSeconds", "must be 0 or more")) }
        if let cost = maxCostPerHour, !(cost.isFinite && cost > 0) {
            problems.append(("maxCostPerHour", "must be a positive number of USD per hour"))
        }
        return problems
    }

    /// 1 to 64 ASCII letters, digits, `-` or `_` (it travels in URLs).
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.count)
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
    }
}
