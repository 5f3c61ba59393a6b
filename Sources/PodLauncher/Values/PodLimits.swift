import Foundation

/// Budget limits for one pod: the longest it may live and the most it may cost. A guarded launch or `withPod`
/// terminates the pod when either is crossed (see `LimitGuard.swift`).
///
/// Both count from the pod's creation (when it starts to bill). The cost limit is the pod's rate (RunPod's `cost`,
/// USD per hour) times its age, so with a known rate it is a lifetime too: `maxCost / costPerHour` hours.
public struct PodLimits: Sendable, Hashable, Codable {
    /// The longest the pod may exist; nil for no limit.
    public var maxLifetime: Duration?
    /// The most the pod may cost, in USD; nil for no limit.
    public var maxCost: Double?

    /// Creates limits; nil means no limit.
    public init(maxLifetime: Duration? = nil, maxCost: Double? = nil) {
        self.maxLifetime = maxLifetime
        self.maxCost = maxCost
    }

    /// No limits.
    public static let none = PodLimits()

    /// True when neither limit is set.
    public var isEmpty: Bool { maxLifetime == nil && maxCost == nil }

    /// The age at which the first limit is crossed at `costPerHour`, and which one; nil when no limit applies
    /// (none set, or only a cost limit while the rate is unknown).
    public func crossing(costPerHour: Double) -> (age: Duration, limit: PodLimitExceeded.Limit)? {
        var earliest: (age: Duration, limit: PodLimitExceeded.Limit)?
        if let maxLifetime { earliest = (maxLifetime, .lifetime(maxLifetime)) }
        if let maxCost, costPerHour > 0 {
            let hours = maxCost / costPerHour
            let age = Duration.milliseconds(Int64(min(hours * 3_600_000, 1e15).rounded(.down)))
            if earliest.map({ age < $0.age }) ?? true { earliest = (age, .cost(maxCost)) }
        }
        return earliest
    }
}

/// A pod crossed one of its `PodLimits` and was terminated for it.
public struct PodLimitExceeded: Sendable, Hashable, CustomStringConvertible {
    /// Which limit.
    public enum Limit: Sendable, Hashable {
        /// The maximum lifetime.
        case lifetime(Duration)
        /// The maximum cost, USD.
        case cost(Double)
    }

    /// The limit crossed.
    public var limit: Limit
    /// The pod.
    public var podID: String
    /// How long the pod had existed.
    public var elapsed: Duration
    /// USD per hour the pod billed at (0 when RunPod had not said yet).
    public var costPerHour: Double

    /// Creates the error.
    public init(limit: Limit, podID: String, elapsed: Duration, costPerHour: Double) {
        self.limit = limit
        self.podID = podID
        self.elapsed = elapsed
        self.costPerHour = costPerHour
    }

    /// Estimated USD spent so far: rate × elapsed.
    public var costSoFar: Double { PodCost.cost(costPerHour: costPerHour, over: elapsed) }

    /// `max lifetime` or `max cost`: the limit's name, as the flags spell it without the dashes.
    public var limitName: String {
        switch limit {
        case .lifetime: "max lifetime"
        case .cost: "max cost"
        }
    }

    /// The limit's value as people read it (`2h`, `$5.00`).
    public var limitValue: String {
        switch limit {
        case .lifetime(let duration): DurationText.format(duration)
        case .cost(let dollars): PodCost.dollars(dollars)
        }
    }

    public var description: String {
        let rate = costPerHour > 0 ? " at \(PodCost.rate(costPerHour))" : ""
        return "Pod \(podID) reached its \(limitName) of \(limitValue): it ran \(DurationText.format(elapsed)), "
            + "≈ \(PodCost.dollars(costSoFar)) so far\(rate)."
    }
}
