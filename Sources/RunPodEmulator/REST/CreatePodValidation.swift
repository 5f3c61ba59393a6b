import Foundation

/// Checks a `POST /v2/pods` body against RunPod's `CreatePodRequest` contract, then its handler rules.
///
/// Contract violations (unknown fields, wrong types, missing `name`/`image`, `gpu.count` < 1, bad enums, more than one
/// network mount, filters below 1) are 422 with every violation in `errors`, in the doc's `$.path: message` style.
/// Rules the schema cannot express (both or neither of `gpu`/`cpu`, both mount kinds, both CUDA constraints, port
/// syntax, disagreeing `args`/`entrypoint`/`cmd`) are 400.
enum CreatePodValidation {
    /// The violations of the contract; empty when the body matches it.
    static func contractViolations(_ body: JSONValue) -> [String] {
        var errors = PodShapes.create.violations(of: body)
        if let object = body.objectValue, object["image"] == nil, object["templateId"] == nil {
            errors.append("$: missing property 'image'")
        }
        return errors
    }

    /// Handler rules on a body that matches the contract; nil when it passes. These are 400s.
    static func ruleViolation(_ object: [String: JSONValue]) -> String? {
        if object["gpu"] != nil && object["cpu"] != nil { return "exactly one of gpu or cpu must be set, not both" }
        if object["gpu"] == nil && object["cpu"] == nil { return "exactly one of gpu or cpu must be set" }
        if let mounts = object["mounts"]?.objectValue, mounts["persistent"] != nil, mounts["network"] != nil {
            return "mounts.persistent and mounts.network are mutually exclusive"
        }
        if let gpu = object["gpu"]?.objectValue, let allowed = gpu["allowedCudaVersions"]?.arrayValue, !allowed.isEmpty,
            gpu["minCudaVersion"] != nil
        {
            return "gpu.allowedCudaVersions and gpu.minCudaVersion are mutually exclusive"
        }
        if let problem = portViolation(object["ports"]) { return problem }
        if case .failure(let error) = CommandFields.resolve(object, current: .imageDefault) { return error.detail }
        // The emulator has no CPU machines (the CPU catalog lists no stock), so a CPU pod never places.
        if object["cpu"] != nil { return noCapacityMessage }
        return nil
    }

    /// 400 detail for a port that is not `<1-65535>/http` or `<1-65535>/tcp`.
    static func portViolation(_ ports: JSONValue?) -> String? {
        for port in ports?.arrayValue ?? [] {
            let text = port.stringValue ?? ""
            let parts = text.split(separator: "/")
            guard parts.count == 2, let number = Int(parts[0]), (1...65535).contains(number), ["http", "tcp"].contains(parts[1]) else {
                return "invalid port '\(text)': expected <port>/http or <port>/tcp"
            }
        }
        return nil
    }

    /// The machines' CUDA version; a constraint that excludes it can never be placed (RunPod answers no capacity).
    static let machineCudaVersion = (12, 8)

    /// Whether the body's CUDA constraint admits the emulator's machines. Versions compare numerically (12.11 > 12.2).
    static func cudaConstraintAdmitsMachines(_ object: [String: JSONValue]) -> Bool {
        guard let gpu = object["gpu"]?.objectValue else { return true }
        if let allowed = gpu["allowedCudaVersions"]?.arrayValue, !allowed.isEmpty {
            return allowed.contains { $0.stringValue.flatMap(cudaVersion) ?? (0, 0) == machineCudaVersion }
        }
        if let minimum = gpu["minCudaVersion"]?.stringValue.flatMap(cudaVersion) { return minimum <= machineCudaVersion }
        return true
    }

    /// `major.minor` as numbers; nil when it is not one.
    static func cudaVersion(_ text: String) -> (Int, Int)? {
        guard isCudaVersion(text) else { return nil }
        let parts = text.split(separator: ".").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    /// The API-neutral request of a valid body (with a template already applied).
    static func creation(from object: [String: JSONValue]) -> PodCreation {
        let gpu = object["gpu"]?.objectValue ?? [:]
        let network = object["mounts"]?["network"]?.arrayValue?.first
        let persistent = object["mounts"]?["persistent"]
        let env = (object["env"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { EnvVar(key: $0.key, value: $0.value.stringValue ?? "") }
        var creation = PodCreation(
            name: object["name"]?.stringValue ?? "",
            image: object["image"]?.stringValue ?? "",
            gpuTypeID: gpu["id"]?.stringValue ?? "",
            gpuCount: gpu["count"]?.intValue ?? 1,
            cloud: CloudType(rawValue: object["cloud"]?.stringValue ?? "SECURE") ?? .secure,
            dataCenterIDs: object["dataCenterIds"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            networkVolumeID: network?["volumeId"]?.stringValue,
            mountPath: network?["path"]?.stringValue ?? persistent?["path"]?.stringValue,
            ports: object["ports"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            env: env,
            containerDiskGB: object["disk"]?.intValue,
            volumeGB: persistent?["size"]?.intValue,
            startSsh: object["startSsh"]?.boolValue ?? false,
            registry: object["registry"]?.stringValue,
            startJupyter: object["startJupyter"]?.boolValue ?? false,
            globalNetworking: object["globalNetworking"]?.boolValue ?? false,
            minRAMPerGPU: gpu["minRamPerGpu"]?.intValue,
            minVCPUsPerGPU: gpu["minVcpuCountPerGpu"]?.intValue)
        if case .success(let command?) = CommandFields.resolve(object, current: .imageDefault) { creation.command = command }
        return creation
    }

    static func isCudaVersion(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }
}
