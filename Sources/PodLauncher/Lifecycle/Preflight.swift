import Foundation
import RunPodAPI

/// What a launch would do now, found without creating anything: the data center the volume pins, the candidates with
/// stock there in priority order (what would be tried), those ruled out and why, and what is in stock instead.
public struct Preflight: Sendable {
    /// The network volume used (chosen among several by stock, when `LaunchOptions.networkVolumeIDs` lists several).
    public var networkVolumeID: String?
    /// Placement's findings: data center, candidates, candidates ruled out (`tried`, status 0, with the reason).
    public var plan: PlacementPlan
    /// GPU types in stock there now that the spec does not ask for, most available first.
    public var alternatives: [String]

    /// Requested GPU types RunPod's catalog does not know.
    public var unknownGPUTypeIDs: [String] { plan.tried.filter { $0.detail == "not in the catalog" }.map(\.candidate.gpuTypeID).uniqued() }

    /// The requested GPU types with stock now, in priority order: what a launch would try.
    public var gpuTypeIDsInStock: [String] { plan.candidates.map(\.gpuTypeID).uniqued() }

    /// True when a launch now would get past placement (some candidate has stock).
    public var wouldPlace: Bool { !plan.candidates.isEmpty }
}

extension RunPodLauncher {
    /// Runs placement's reads for `spec` (volume → data center → catalog → candidates) and reports what a launch would
    /// try, without creating anything. Throws `notFound` for an unknown network volume, and RunPod's failures as a
    /// launch would; an unknown GPU type is reported, not thrown.
    public func preflight(_ spec: LaunchSpec, options: LaunchOptions = .init()) async throws -> Preflight {
        var placed = spec
        if !options.networkVolumeIDs.isEmpty { placed.networkVolumeID = try await chooseNetworkVolume(options.networkVolumeIDs, for: spec).volumeID }
        let plan = try await planPlacement(placed, strict: false)
        let available = (try? await availableNow(count: spec.gpuCount, clouds: plan.clouds, dataCenterID: plan.dataCenterID)) ?? []
        return Preflight(networkVolumeID: placed.networkVolumeID, plan: plan, alternatives: available.filter { !spec.gpuTypeIDs.contains($0) })
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
