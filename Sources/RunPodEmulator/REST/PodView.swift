import Foundation

/// REST v2 `Pod`, field for field: required nullable fields are written as `null`, never left out.
struct PodView: Encodable {
    let record: PodRecord
    let now: Date

    enum CodingKeys: String, CodingKey {
        case id, name, status, actions, image, args, entrypoint, cmd, disk, mounts, ports, env, registry, cloud, dataCenterId, cudaVersion
        case ssh, template, cost, locked, runtime, createdAt, startedAt, globalNetworking, gpu, cluster
    }

    /// The actions valid now: RunPod's table for the status, without stop and restart while the pod is locked.
    static func actions(of record: PodRecord) -> [String] {
        record.status.actions.filter { !(record.locked && ["stop", "restart"].contains($0)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let creation = record.creation
        try c.encode(record.id, forKey: .id)
        try c.encode(record.name, forKey: .name)
        try c.encode(record.status.rawValue, forKey: .status)
        try c.encode(Self.actions(of: record), forKey: .actions)
        try c.encode(creation.image, forKey: .image)
        // args as stored, with the exec-form arrays it stands for (RunPod's create-a-pod page, after 2026-08-18).
        try c.encode(creation.args ?? "", forKey: .args)
        try c.encode(creation.entrypoint, forKey: .entrypoint)
        try c.encode(creation.cmd, forKey: .cmd)
        try c.encode(max(1, creation.containerDiskGB ?? 50), forKey: .disk)
        try c.encode(MountsView(creation: creation), forKey: .mounts)
        try c.encode(creation.ports, forKey: .ports)
        try c.encode(Dictionary(creation.env.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }), forKey: .env)
        try c.encode(creation.registry, forKey: .registry)
        try c.encode(record.cloud.rawValue, forKey: .cloud)
        try c.encode(record.dataCenterID, forKey: .dataCenterId)
        try c.encode("12.8", forKey: .cudaVersion)
        try c.encode(SSHView(record: record), forKey: .ssh)
        try c.encodeNil(forKey: .template)
        try c.encode((record.costPerHour * 1000).rounded() / 1000, forKey: .cost)
        try c.encode(record.locked, forKey: .locked)
        if record.status == .running {
            try c.encode(RuntimeView(record: record, now: now), forKey: .runtime)
        } else {
            try c.encodeNil(forKey: .runtime)
        }
        try c.encode(JSONCoding.timestamp(record.createdAt), forKey: .createdAt)
        if let startedAt = record.startedAt {
            try c.encode(JSONCoding.timestamp(startedAt), forKey: .startedAt)
        } else {
            try c.encodeNil(forKey: .startedAt)
        }
        try c.encode(GlobalNetworkingView(record: record), forKey: .globalNetworking)
        try c.encode(
            GPUView(id: creation.gpuTypeID, count: creation.gpuCount, vcpuCount: record.vcpuCount, memory: record.memoryGB), forKey: .gpu)
        if let cluster = record.cluster {
            try c.encode(ClusterMemberView(id: cluster.clusterID, rank: cluster.rank, role: cluster.role, ip: cluster.ip), forKey: .cluster)
        }
    }
}

/// `GpuConfig` on a pod, with what was allocated: `vcpuCount` and `memory` (GB) are totals for the pod.
struct GPUView: Encodable {
    var id: String
    var count: Int
    var vcpuCount: Int
    var memory: Int
}

/// `PodCluster`.
struct ClusterMemberView: Encodable {
    var id: String
    var rank: Int
    var role: String?
    var ip: String
}

/// `PodGlobalNetworking`: `ip` and `internalDns` only while enabled.
struct GlobalNetworkingView: Encodable {
    var enabled: Bool
    var ip: String?
    var internalDns: String?

    init(record: PodRecord) {
        enabled = record.globalNetworkIP != nil
        ip = record.globalNetworkIP
        internalDns = enabled ? "\(record.id).runpod.internal" : nil
    }
}

/// `Mounts`: a network volume, or a host-local persistent volume (GraphQL `volumeInGb`), or nothing.
struct MountsView: Encodable {
    struct Network: Encodable {
        var volumeId: String
        var path: String
    }

    struct Persistent: Encodable {
        var size: Int
        var path: String
    }

    var network: [Network]?
    var persistent: Persistent?

    init(creation: PodCreation) {
        if let volume = creation.networkVolumeID {
            network = [Network(volumeId: volume, path: creation.mountPath ?? "/workspace")]
        } else if let size = creation.volumeGB, size >= 10 {
            persistent = Persistent(size: size, path: creation.mountPath ?? "/workspace")
        }
    }
}

/// `PodSsh`: the proxy endpoint once the pod has a machine; `direct` only for a running pod publishing `22/tcp`.
struct SSHView: Encodable {
    struct Endpoint: Encodable {
        var host: String
        var port: Int
        var username: String
        var command: String
    }

    let proxy: Endpoint
    let direct: Endpoint?

    init(record: PodRecord) {
        proxy = Endpoint(host: "ssh.runpod.io", port: 22, username: record.podHostID, command: "ssh \(record.podHostID)@ssh.runpod.io")
        direct = record.runtimePorts.first { $0.privatePort == 22 && $0.type == "tcp" }.map {
            Endpoint(host: $0.ip, port: $0.publicPort, username: "root", command: "ssh root@\($0.ip) -p \($0.publicPort)")
        }
    }

    enum CodingKeys: String, CodingKey { case proxy, direct }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(proxy, forKey: .proxy)
        if let direct { try c.encode(direct, forKey: .direct) } else { try c.encodeNil(forKey: .direct) }
    }
}

/// `PodRuntime`: uptime, utilization and the live port mappings.
struct RuntimeView: Encodable {
    struct Port: Encodable {
        var `private`: Int
        var `public`: Int
        var type: String
        var ip: String
    }

    struct GPU: Encodable {
        var util: Int
        var memoryUtil: Int
    }

    struct Utilization: Encodable {
        var util: Int
    }

    var uptime: Int
    var gpus: [GPU]
    var cpu: Utilization
    var memory: Utilization
    var ports: [Port]

    init(record: PodRecord, now: Date) {
        uptime = record.uptimeSeconds(now: now)
        let busy = record.appReady ? 3 : 0
        gpus = Array(repeating: GPU(util: busy, memoryUtil: record.appReady ? 12 : 0), count: record.creation.gpuCount)
        cpu = Utilization(util: record.appReady ? 2 : 35)
        memory = Utilization(util: record.appReady ? 9 : 4)
        ports = record.runtimePorts.map { Port(private: $0.privatePort, public: $0.publicPort, type: $0.type, ip: $0.ip) }
    }
}

/// `NetworkVolume`.
struct NetworkVolumeView: Encodable {
    var id: String
    var name: String
    var size: Int
    var dataCenter: String
    var type: String

    init(_ volume: NetworkVolume) {
        id = volume.id
        name = volume.name
        size = volume.size
        dataCenter = volume.dataCenterId
        type = volume.type
    }
}
