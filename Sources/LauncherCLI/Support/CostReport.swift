import Foundation
import PodLauncher

/// What terminated pods cost, for `terminate` (and any command that ends pods): read each pod before it goes (RunPod
/// reports its rate as 0 afterwards), then estimate rate × time from creation to the confirmed terminate.
enum CostReport {
    /// Each pod as it is now, keyed by ID; pods that cannot be read are left out (the terminate goes ahead anyway).
    static func snapshot(_ podIDs: [String], launcher: RunPodLauncher) async -> [String: Pod] {
        await withTaskGroup(of: Pod?.self) { group in
            for id in podIDs { group.addTask { try? await launcher.getPod(podID: id) } }
            var pods: [String: Pod] = [:]
            for await pod in group { if let pod { pods[pod.id] = pod } }
            return pods
        }
    }

    /// The estimates for the pods confirmed gone, ending `end`.
    static func costs(terminated: [String], snapshot: [String: Pod], end: Date = Date()) -> [String: PodCost] {
        var costs: [String: PodCost] = [:]
        for id in terminated { if let pod = snapshot[id], let cost = PodCost(pod: pod, until: end) { costs[id] = cost } }
        return costs
    }

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
