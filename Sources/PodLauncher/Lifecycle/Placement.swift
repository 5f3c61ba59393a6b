import Foundation
import Logging
import RunPodAPI

/// What placement found: the data center the volume pins, the candidates in the user's priority order, and those the
/// catalog ruled out (with why).
public struct PlacementPlan: Sendable {
    /// The data center the network volume pins, if any.
    public var dataCenterID: String?
    /// The (GPU type, cloud) pairs to try, in order.
    public var candidates: [PlacementCandidate]
    /// Candidates the catalog ruled out, with the reason (`status` 0).
    public var tried: [LauncherError.Attempt]
    /// The clouds looked in.
    public var clouds: [RunPod.Cloud]
    /// Every GPU type ID in RunPod's catalog (of the first cloud looked in).
    public var catalogIDs: [String]
}

/// Placement, RunPod's read-then-create pattern: the volume's data center, the catalog's stock there, the user's
/// GPU priority list, then one `createPod` per candidate until RunPod answers 201 (`Create.swift`).
extension RunPodLauncher {
    /// Steps 1–3 of placement (volume → data center → catalog → candidates in the user's priority order), read once
    /// per launch whatever its number of pods (and per try while waiting for capacity).
    /// - Parameter strict: an unknown GPU type ID is an `invalidInput` error (a launch); otherwise it is ruled out with
    ///   its reason (a preflight, which reports every finding).
    func planPlacement(_ spec: LaunchSpec, pacer: RatePacer? = nil, strict: Bool = true) async throws -> PlacementPlan {
        try Validation.check(spec)
        let log = logger(operation: "launch")
        let paced = Paced(pacer)

        // 1. The volume pins the data center (and Secure Cloud).
        var dataCenterID: String?
        if let volumeID = spec.networkVolumeID {
            let volume: RunPod.NetworkVolume
            do {
                volume = try await paced { try await client.getNetworkVolume(id: volumeID) }
            } catch let error as RunPodAPIError {
                throw map(error, notFound: ("network volume", volumeID))
            }
            dataCenterID = volume.dataCenter
            emit(.volumeResolved(volumeID: volumeID, dataCenterID: volume.dataCenter))
            log.debug("volume resolved", metadata: ["volume.id": "\(volumeID)", "dataCenter": "\(volume.dataCenter)"])
        }
        let clouds = Self.clouds(for: spec)

        // 2. Read stock, 3. order candidates.
        var candidates: [PlacementCandidate] = []
        var tried: [LauncherError.Attempt] = []
        var catalogIDs: [String] = []
        for cloud in clouds {
            let catalog = try await readCatalog(count: spec.gpuCount, cloud: cloud, paced: paced)
            if strict, cloud == clouds[0] { try checkGPUIDs(spec.gpuTypeIDs, catalog: catalog) }
            if cloud == clouds[0] { catalogIDs = catalog.map(\.id) }
            for id in spec.gpuTypeIDs {
                let candidate = PlacementCandidate(gpuTypeID: id, cloud: cloud, dataCenterID: dataCenterID)
                if let reason = Self.unavailableReason(id, cloud: cloud, dataCenterID: dataCenterID, catalog: catalog) {
                    tried.append(.init(candidate: candidate, status: 0, detail: reason))
                } else {
                    candidates.append(candidate)
                }
            }
        }
        emit(.candidatesChosen(dataCenterID: dataCenterID, candidates: candidates))
        return PlacementPlan(dataCenterID: dataCenterID, candidates: candidates, tried: tried, clouds: clouds, catalogIDs: catalogIDs)
    }

    private func readCatalog(count: Int, cloud: RunPod.Cloud, paced: Paced) async throws -> [RunPod.GPUType] {
        do {
            return try await paced { try await client.listGPUTypes(count: count, cloud: cloud) }
        } catch let error as RunPodAPIError {
            throw map(error)
        }
    }

    /// The clouds to look in: a network volume pins Secure Cloud; ALL without a volume tries Secure, then Community.
    static func clouds(for spec: LaunchSpec) -> [RunPod.Cloud] {
        switch (spec.cloudType, spec.networkVolumeID) {
        case (.community, _): [.community]
        case (.secure, _), (.all, .some): [.secure]
        case (.all, .none): [.secure, .community]
        }
    }

    private func checkGPUIDs(_ ids: [String], catalog: [RunPod.GPUType]) throws {
        let known = catalog.map(\.id)
        for id in ids where !known.contains(id) {
            let suggestion = Validation.closest(to: id, in: known).map { " Did you mean \"\($0)\"?" } ?? ""
            throw LauncherError.invalidInput(
                "Unknown GPU type \"\(id)\".\(suggestion) Valid GPU type IDs: \(known.sorted().joined(separator: ", ")).")
        }
    }

    /// Why the catalog rules a candidate out, or nil when it has stock.
    static func unavailableReason(_ id: String, cloud: RunPod.Cloud, dataCenterID: String?, catalog: [RunPod.GPUType]) -> String? {
        guard let gpu = catalog.first(where: { $0.id == id }) else { return "not in the catalog" }
        if cloud == .secure && !gpu.secure { return "not offered in Secure Cloud" }
        if cloud == .community && !gpu.community { return "not offered in Community Cloud" }
        if let dataCenterID {
            let level = gpu.dataCenters?.first { $0.id == dataCenterID }?.availability ?? .none
            return level > .none ? nil : "catalog shows no stock in \(dataCenterID)"
        }
        // Without a data center the catalog's overall level decides; an absent level is not a "no".
        if let level = gpu.availability, level == .none { return "catalog shows no \(cloud.rawValue) stock" }
        return nil
    }

    /// The GPU types with stock now, most available first: what a no-capacity message suggests instead.
    func availableNow(count: Int, clouds: [RunPod.Cloud], dataCenterID: String?) async throws -> [String] {
        var levels: [(id: String, level: RunPod.AvailabilityLevel)] = []
        for cloud in clouds {
            for gpu in try await client.listGPUTypes(count: count, cloud: cloud) {
                let level = dataCenterID.map { dc in gpu.dataCenters?.first { $0.id == dc }?.availability ?? .none } ?? gpu.availability ?? .none
                if level > .none, !levels.contains(where: { $0.id == gpu.id }) { levels.append((gpu.id, level)) }
            }
        }
        return levels.sorted { $0.level > $1.level }.map(\.id)
    }

    func createRequest(_ spec: LaunchSpec, identity: PodIdentity, candidate: PlacementCandidate) -> RunPod.CreatePodRequest {
        RunPod.CreatePodRequest(
            name: identity.name, image: spec.image,
            gpu: .init(
                id: candidate.gpuTypeID, count: spec.gpuCount, minCudaVersion: spec.minCUDAVersion, minRamPerGpu: spec.minRAMPerGPU,
                minVcpuCountPerGpu: spec.minVCPUsPerGPU), cloud: candidate.cloud,
            dataCenterIds: candidate.dataCenterID.map { [$0] },
            mounts: spec.networkVolumeID.map { RunPod.Mounts(network: [RunPod.NetworkMount(volumeId: $0, path: spec.mountPath)]) },
            ports: spec.ports.map(\.description), env: spec.env.merging(identity.marks) { _, mark in mark }, disk: spec.containerDiskGB,
            args: spec.args)
    }
}
