import Foundation
import RunPodAPI

/// What a pod cost: its rate, how long it ran, and the product of the two.
///
/// An estimate made on the client: RunPod's `cost` (USD per hour) times the time from the pod's `createdAt` to its end
/// (the terminate, or now). RunPod's REST v2 pod carries no end time and reports `cost` 0 once the pod is EXITED or
/// TERMINATED, so the rate is the one read while the pod ran. The pod is counted from creation, not from `startedAt`,
/// because RunPod reserves (and the emulator bills) the GPUs from then on; the estimate errs high, never low.
/// Network-volume storage is billed separately and is not included. RunPod's billing page is the authority.
public struct PodCost: Sendable, Hashable, Codable {
    /// USD per hour while the pod held its GPUs.
    public var costPerHour: Double
    /// When billing started (the pod's `createdAt`).
    public var from: Date
    /// When it ended (the confirmed terminate) or the moment of the estimate.
    public var to: Date

    /// Creates an estimate; `to` before `from` counts as zero time.
    public init(costPerHour: Double, from: Date, to: Date) {
        self.costPerHour = max(0, costPerHour)
        self.from = from
        self.to = to
    }

    /// The estimate for `pod` until `end`; nil when RunPod did not say when the pod was created.
    public init?(pod: Pod, until end: Date) {
        guard let created = pod.createdAt ?? pod.startedAt else { return nil }
        self.init(costPerHour: pod.costPerHour, from: created, to: end)
    }

    /// How long the pod ran.
    public var duration: Duration {
        let seconds = max(0, to.timeIntervalSince(from))
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// USD: rate × duration.
    public var total: Double { Self.cost(costPerHour: costPerHour, over: duration) }

    /// USD for `duration` at `costPerHour`.
    public static func cost(costPerHour: Double, over duration: Duration) -> Double {
        costPerHour * duration.seconds / 3600
    }

    /// `ran 1h2m3s at $0.690/h ≈ $0.71`.
    public var summary: String {
        "ran \(DurationText.format(duration)) at \(Self.rate(costPerHour)) ≈ \(Self.dollars(total))"
    }

    /// `$0.690/h`.
    public static func rate(_ costPerHour: Double) -> String { String(format: "$%.3f/h", costPerHour) }

    /// `$0.71`, or `$0.0042` below a cent so a short test run does not read as free.
    public static func dollars(_ amount: Double) -> String {
        amount > 0 && amount < 0.01 ? String(format: "$%.4f", amount) : String(format: "$%.2f", amount)
    }
}

extension Duration {
    /// The duration as fractional seconds.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

extension RunPodLauncher {
    /// Terminates a pod (confirmed, as `terminatePod`) and estimates what it cost.
    ///
    /// Reads the pod first, because its rate reads 0 once it is terminated. `known` skips that read when the caller
    /// already holds the pod as it was while running (a `ReadyPod`'s). `now` is the end time's source (tests pass the
    /// emulator's clock). The cost is nil when the pod could not be read or has no creation time; the terminate
    /// happens regardless.
    public func terminatePodMeasuringCost(
        podID: String, known: Pod? = nil, reason: String = "requested", now: @Sendable () -> Date = { Date() }
    ) async throws -> PodCost? {
        var pod = known
        if pod == nil || pod?.createdAt == nil {
            pod = try? await getPod(podID: podID)
        }
        if let read = pod, read.costPerHour == 0, let known, known.costPerHour > 0 {
            pod?.costPerHour = known.costPerHour  // Stopped since: keep the rate it ran at.
        }
        try await terminatePod(podID: podID, reason: reason)
        return pod.flatMap { PodCost(pod: $0, until: now()) }
    }

    /// What a pod has cost so far (rate × time since creation), read now; nil without a creation time.
    public func costSoFar(podID: String, now: @Sendable () -> Date = { Date() }) async throws -> PodCost? {
        PodCost(pod: try await getPod(podID: podID), until: now())
    }
}
