import Foundation
import PodLauncher

/// Cost lines for terminated pods (the estimates come from the library's `TerminationResult.cost`).
enum CostReport {
    /// `pod abc ran 1h2m at $0.690/h ≈ $0.71`.
    static func line(podID: String, cost: PodCost) -> String { "pod \(podID) \(cost.summary)" }
}

/// A pod's cost in `--json`: `{"costPerHr", "ranSeconds", "cost"}` (USD; an estimate, see `PodCost`).
struct CostJSON: Codable, Sendable, Equatable {
    var costPerHr: Double
    var ranSeconds: Double
    var cost: Double

    init(_ cost: PodCost) {
        costPerHr = cost.costPerHour
        ranSeconds = cost.duration.secondsValue
        self.cost = (cost.total * 10_000).rounded() / 10_000
    }
}
