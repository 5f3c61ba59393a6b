import Foundation

/// REST v2 `Endpoint`, `ListEndpointReleasesResponse`: the stored configuration with defaults filled in and the
/// derived fields (`id`, `createdAt`, `requestUrls`).
enum EndpointView {
    /// The configuration with RunPod's defaults: container settings, `workers`, `dataCenterIds`, `networkVolumes`,
    /// `timeout` (300,000 ms), `flashboot` (OFF), and the GPU block's CUDA fields.
    static func normalized(_ config: [String: JSONValue]) -> [String: JSONValue] {
        var config = config
        config["templateId"] = nil
        let defaults: [String: JSONValue] = [
            "args": "", "disk": 20, "env": [:], "ports": [], "registry": nil, "workers": ["min": 0, "max": 3], "dataCenterIds": [],
            "networkVolumes": [], "timeout": 300_000, "flashboot": "OFF",
        ]
        for (key, value) in defaults where config[key] == nil { config[key] = value }
        if var gpu = config["gpu"]?.objectValue {
            if gpu["count"] == nil { gpu["count"] = 1 }
            if gpu["allowedCudaVersions"] == nil { gpu["allowedCudaVersions"] = [] }
            if gpu["minCudaVersion"] == nil { gpu["minCudaVersion"] = .null }
            config["gpu"] = .object(gpu)
        }
        if let cpus = config["cpu"]?.arrayValue {
            config["cpu"] = .array(
                cpus.map { cpu in
                    var cpu = cpu.objectValue ?? [:]
                    let flavor = CPUFlavor.catalog.first { $0.id == cpu["id"]?.stringValue }
                    cpu["memory"] = .int(max(1, Int((flavor?.ramPerVCPU ?? 2) * Double(cpu["vcpuCount"]?.intValue ?? 2))))
                    return .object(cpu)
                })
        }
        return config
    }

    static func json(_ endpoint: ServerlessEndpoint) -> JSONValue {
        var object = endpoint.config
        object["id"] = .string(endpoint.id)
        object["createdAt"] = .string(JSONCoding.timestamp(endpoint.createdAt))
        let base = "https://api.runpod.ai/v2/\(endpoint.id)"
        if endpoint.config["type"]?.stringValue == "LOAD_BALANCER" {
            let host = "https://\(endpoint.id).api.runpod.ai"
            object["requestUrls"] = ["base": .string(host), "health": .string("\(host)/ping")]
        } else {
            var urls: [String: JSONValue] = [:]
            for (key, path) in [
                ("run", "run"), ("runSync", "runsync"), ("status", "status"), ("stream", "stream"), ("cancel", "cancel"), ("retry", "retry"),
                ("purgeQueue", "purge-queue"), ("health", "health"),
            ] {
                urls[key] = .string("\(base)/\(path)")
            }
            object["requestUrls"] = .object(urls)
        }
        return .object(object)
    }

    static func releases(_ endpoint: ServerlessEndpoint) -> JSONValue {
        let releases = endpoint.releases.reversed().map { release -> JSONValue in
            [
                "id": .string(release.id), "version": .int(release.version), "source": "MANUAL", "buildId": nil,
                "createdByUserId": "user_emulator", "workerCount": 0, "createdAt": .string(JSONCoding.timestamp(release.createdAt)),
                "diff": .array(release.diff.map { ["field": .string($0.field), "old": $0.old, "new": $0.new] }),
            ]
        }
        return [
            "endpointVersion": .int(endpoint.version),
            "rollout": ["inProgress": false, "workersOnLatest": 0, "workersTotal": 0, "percentOnLatest": 0],
            "releases": .array(releases),
        ]
    }
}
