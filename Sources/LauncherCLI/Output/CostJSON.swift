import Foundation
import PodLauncher

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
