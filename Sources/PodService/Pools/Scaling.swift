import Foundation

/// What a pool's demand is at one tick.
public struct PoolDemand: Sendable, Hashable, Codable {
    /// Jobs waiting: lease requests waiting for a pod, plus the pool's source (a queue's length, pushed demand).
    public var backlog: Int
    /// Work in progress: held leases, plus jobs running or pending on the pool's pods (ComfyUI's queue).
    public var inFlight: Int

    public init(backlog: Int, inFlight: Int) {
        self.backlog = backlog
        self.inFlight = inFlight
    }

    public var total: Int { max(0, backlog) + max(0, inFlight) }
}

/// How many pods a pool should have, and why.
public struct ScalingDecision: Sendable, Hashable, Codable {
    public var desired: Int
    /// For `GET /v1/pools/{name}` and the page: "demand 7 ÷ 2 per pod → 4, capped by max 3".
    public var reason: String
}

/// The desired-count rule, as a pure function of the settings, the demand, the pods the pool has and a pod's price:
/// `clamp(ceil((backlog + inFlight) / perPodConcurrency), min, max, floor(maxCostPerHour / podPricePerHour))`,
/// with activation from zero only when demand is above `activationBacklog`. The cost ceiling wins over `min`.
public enum Scaling {
    public static func desired(_ settings: PoolSettings, demand: PoolDemand, current: Int, podPricePerHour: Double?) -> ScalingDecision {
        let perPod = max(1, settings.perPodConcurrency)
        let total = demand.total
        var parts: [String] = []
        var desired: Int
        if current == 0 && total <= settings.activationBacklog {
            desired = 0
            parts.append("demand \(total) not above the activation backlog \(settings.activationBacklog): stays at 0")
        } else {
            desired = (total + perPod - 1) / perPod
            parts.append("demand \(total) (backlog \(demand.backlog) + in flight \(demand.inFlight)) ÷ \(perPod) per pod → \(desired)")
        }
        if desired < settings.min {
            desired = settings.min
            parts.append("raised to min \(settings.min)")
        }
        if desired > settings.max {
            desired = settings.max
            parts.append("capped by max \(settings.max)")
        }
        if let cap = costCap(settings, podPricePerHour: podPricePerHour), desired > cap {
            desired = cap
            parts.append(
                "capped by maxCostPerHour \(PodCostText.rate(settings.maxCostPerHour ?? 0)) at \(PodCostText.rate(podPricePerHour ?? 0)) a pod → \(cap)"
            )
        }
        return ScalingDecision(desired: desired, reason: parts.joined(separator: "; "))
    }

    /// Pods to add at once, between ticks, when a lease request starts waiting: as many as the rule wants above the
    /// pods the pool has, never fewer ("scale up above zero at once"; from zero only above `activationBacklog`, as a
    /// tick would). Removing is left to the tick and its scale-down delay.
    public static func podsToAddNow(_ settings: PoolSettings, demand: PoolDemand, current: Int, podPricePerHour: Double?) -> Int {
        max(0, desired(settings, demand: demand, current: current, podPricePerHour: podPricePerHour).desired - current)
    }

    /// The most pods the cost ceiling allows at `podPricePerHour`; nil without a ceiling. An unknown price allows
    /// none: no pod is created that the ceiling cannot be checked for.
    public static func costCap(_ settings: PoolSettings, podPricePerHour: Double?) -> Int? {
        guard let ceiling = settings.maxCostPerHour else { return nil }
        guard let price = podPricePerHour, price > 0, price.isFinite else { return 0 }
        return Int((ceiling / price + 1e-9).rounded(.down))
    }
}

/// Scale-down hysteresis: a lower desired count is applied only once it has held for `scaleDownDelay`; a higher one
/// at once. What it remembers is the moment the desire first dropped below the current count.
public struct ScaleDownGate: Sendable, Hashable {
    private var lowerSince: Date?

    public init() {}

    /// The count to aim for now, given the decision and the pods the pool has.
    public mutating func target(desired: Int, current: Int, delay: TimeInterval, now: Date) -> Int {
        guard desired < current else {
            lowerSince = nil
            return desired
        }
        let since = lowerSince ?? now
        lowerSince = since
        return now.timeIntervalSince(since) >= delay ? desired : current
    }
}

/// Rates as people read them.
enum PodCostText {
    static func rate(_ value: Double) -> String { String(format: "$%.3f/h", value) }
}
