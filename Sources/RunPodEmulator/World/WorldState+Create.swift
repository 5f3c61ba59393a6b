import Foundation

/// Creating pods: RunPod's checks in RunPod's order, then placement and the pod's first boot.
extension WorldState {
    /// Creates a pod: key access (forbidden), request rules (invalid), balance (insufficientBalance), then placement
    /// (noCapacity). `center` pins it to one data center (cluster members); `cluster` makes it a member.
    mutating func createPod(
        _ request: PodCreation, api: API, rawRequest: JSONValue, apiKey: String?, now: Date, timeScale: Double,
        center pinned: String? = nil, cluster: ClusterMembership? = nil
    ) throws(WorldError) -> PodRecord {
        if let apiKey, let spec = keys[apiKey] {
            if spec.readOnly || spec.forbiddenGpuTypeIds.contains(request.gpuTypeID) { throw .forbidden }
        }
        let gpu = try checkGPU(request)
        var (centers, clouds) = try candidates(for: request)
        if let pinned { centers = centers.filter { $0 == pinned } }
        let price = gpu.price(in: clouds[0]) * Double(request.gpuCount)
        if balance < price { throw .insufficientBalance }
        // Placement filters: every machine of a GPU type gives each GPU the same vCPUs and RAM here.
        if let minimum = request.minRAMPerGPU, gpu.memoryPerGPUGB < minimum { throw .noCapacity }
        if let minimum = request.minVCPUsPerGPU, gpu.vcpuPerGPU < minimum { throw .noCapacity }

        if request.dataCenterIDs.isEmpty && request.networkVolumeID == nil {
            // With no preference the scheduler picks where most GPUs are free.
            centers.sort { free(gpuTypeID: gpu.id, dataCenterID: $0, cloud: .all) > free(gpuTypeID: gpu.id, dataCenterID: $1, cloud: .all) }
        }
        var placement: StockKey?
        search: for cloud in clouds {
            for center in centers {
                let key = StockKey(dataCenterID: center, gpuTypeID: gpu.id, cloud: cloud)
                if (stock[key] ?? 0) >= request.gpuCount {
                    placement = key
                    break search
                }
            }
        }
        guard let placement else { throw .noCapacity }
        stock[placement, default: 0] -= request.gpuCount

        var id = random.identifier()
        while pods[id] != nil { id = random.identifier() }
        let machineID = random.identifier(length: 12)
        let failure = takeFailure(for: request)
        var record = PodRecord(
            id: id, name: request.name, creation: request, status: .provisioning, desiredStatus: "RUNNING",
            cloud: placement.cloud, dataCenterID: placement.dataCenterID, machineID: machineID,
            podHostID: "\(id)-\(String(machineID.prefix(8)))", vcpuCount: gpu.vcpuPerGPU * request.gpuCount,
            memoryGB: gpu.memoryPerGPUGB * request.gpuCount, pricePerHour: gpu.price(in: placement.cloud) * Double(request.gpuCount),
            createdAt: now, lastStatusChange: now, startedAt: nil, terminatedAt: nil, appReady: false, runtimePorts: [],
            api: api, rawRequest: rawRequest, logs: [], lastError: nil)
        record.cluster = cluster
        record.injectedEnv = injectedEnv(for: request)
        if request.globalNetworking { record.globalNetworkIP = globalNetworkAddress() }
        pods[id] = PodSimulation(
            record: record, failure: failure, bootAt: now, bootKind: .fresh, applied: 0, holdsStock: true, gpuCount: request.gpuCount)
        podOrder.append(id)
        advance(id: id, now: now, timeScale: timeScale)
        return pods[id]?.record ?? record
    }

    /// The GPU type, after the count, registry and global-networking rules.
    private func checkGPU(_ request: PodCreation) throws(WorldError) -> GPUType {
        guard let gpu = gpuTypeByID[request.gpuTypeID] else {
            throw .invalid("GPU type '\(request.gpuTypeID)' does not exist")
        }
        guard request.gpuCount >= 1 else { throw .invalid("gpu count must be at least 1") }
        if request.gpuCount > gpu.maxCount(in: request.cloud) {
            throw .invalid("gpu count \(request.gpuCount) exceeds the maximum of \(gpu.maxCount(in: request.cloud)) for \(gpu.id)")
        }
        if let registry = request.registry, !registries.contains(where: { $0.id == registry }) {
            throw .invalid("registry credential '\(registry)' does not exist")
        }
        if request.globalNetworking && gpu.manufacturer != "NVIDIA" { throw .invalid("global networking requires an NVIDIA GPU") }
        return gpu
    }

    /// Data centers and clouds the request admits, after the data-center, network-volume and global-networking rules.
    private func candidates(for request: PodCreation) throws(WorldError) -> ([String], [CloudType]) {
        for id in request.dataCenterIDs where !dataCenters.contains(where: { $0.id == id }) {
            throw .invalid("data center '\(id)' does not exist")
        }
        var centers = request.dataCenterIDs.isEmpty ? dataCenters.map(\.id) : request.dataCenterIDs
        var clouds: [CloudType] = request.cloud == .all ? [.secure, .community] : [request.cloud]
        if let volumeID = request.networkVolumeID {
            guard let volume = networkVolumes.first(where: { $0.id == volumeID }) else {
                throw .invalid("network volume '\(volumeID)' does not exist")
            }
            if request.cloud == .community {
                throw .invalid("network volumes are only available on Secure Cloud; cloud must be SECURE")
            }
            if !request.dataCenterIDs.isEmpty && !request.dataCenterIDs.contains(volume.dataCenterId) {
                throw .invalid(
                    "network volume '\(volumeID)' is in data center \(volume.dataCenterId), which is not in dataCenterIds")
            }
            // RunPod pins a pod with a network volume to the volume's data center, on Secure Cloud.
            centers = [volume.dataCenterId]
            clouds = [.secure]
        }
        if request.globalNetworking {
            let enabled = Set(dataCenters.filter(\.globalNetwork).map(\.id))
            centers = centers.filter(enabled.contains)
            if centers.isEmpty { throw .invalid("global networking is not available in the requested data centers") }
        }
        return (centers, clouds)
    }

    /// `PUBLIC_KEY` (the registered keys, one per line) for `startSsh` with keys registered, and a generated
    /// `JUPYTER_PASSWORD` for `startJupyter`, unless the request sets them itself.
    private mutating func injectedEnv(for request: PodCreation) -> [EnvVar] {
        var injected: [EnvVar] = []
        let sent = Set(request.env.map(\.key))
        if request.startSsh && !sshKeys.isEmpty && !sent.contains("PUBLIC_KEY") {
            injected.append(EnvVar(key: "PUBLIC_KEY", value: sshKeys.joined(separator: "\n")))
        }
        if request.startJupyter && !sent.contains("JUPYTER_PASSWORD") {
            injected.append(EnvVar(key: "JUPYTER_PASSWORD", value: random.identifier(length: 20)))
        }
        return injected
    }

    /// A fresh address on the account's global network.
    mutating func globalNetworkAddress() -> String {
        "10.\(Int.random(in: 64...127, using: &random)).\(Int.random(in: 0...255, using: &random)).\(Int.random(in: 2...254, using: &random))"
    }

    private mutating func takeFailure(for request: PodCreation) -> PodFailureMode? {
        guard let index = failureRules.firstIndex(where: { $0.matches(request) }) else { return nil }
        if let times = failureRules[index].times { failureRules[index].times = times - 1 }
        return failureRules[index].mode
    }

    /// Creates a cluster: one data center with free GPUs for every member, then `podCount` members pinned there.
    mutating func createCluster(_ request: ClusterCreation, apiKey: String?, now: Date, timeScale: Double) throws(WorldError) -> ClusterRecord {
        var member = request.member
        member.gpuTypeID = request.gpuTypeID
        member.gpuCount = request.gpuCountPerPod
        member.cloud = .secure
        let gpu = try checkGPU(member)
        let (centers, _) = try candidates(for: member)
        let needed = request.gpuCountPerPod * request.podCount
        if balance < gpu.securePrice * Double(needed) { throw .insufficientBalance }
        guard let center = centers.first(where: { free(gpuTypeID: gpu.id, dataCenterID: $0, cloud: .secure) >= needed }) else {
            throw .noCapacity
        }
        var cluster = ClusterRecord(
            id: random.identifier(), name: request.name, type: request.type, gpuTypeID: gpu.id, gpuCountPerPod: request.gpuCountPerPod,
            podCount: request.podCount, templateID: request.templateID, dataCenterID: center, createdAt: now, podIDs: [],
            cidr: "10.65.0.0/16", vxlanID: Int.random(in: 100...4000, using: &random), vxlanPort: 4789)
        for rank in 0..<request.podCount {
            var creation = member
            creation.name = "\(request.name)-\(rank)"
            creation.dataCenterIDs = [center]
            let membership = ClusterMembership(
                clusterID: cluster.id, rank: rank, role: ClusterRecord.role(type: request.type, rank: rank), ip: "10.65.0.\(rank + 2)")
            let pod = try createPod(
                creation, api: .rest, rawRequest: .null, apiKey: apiKey, now: now, timeScale: timeScale, center: center, cluster: membership)
            cluster.podIDs.append(pod.id)
        }
        clusters.append(cluster)
        return cluster
    }
}
