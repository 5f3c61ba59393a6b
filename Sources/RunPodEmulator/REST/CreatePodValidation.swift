import Foundation

/// Checks a `POST /v2/pods` body against RunPod's `CreatePodRequest` contract, then its handler rules.
///
/// Contract violations (unknown fields, wrong types, missing `name`/`image`, `gpu.count` < 1, bad enums, more than one
/// network mount) are 422 with every violation in `errors`, in the doc's `$.path: message` style. Rules the schema
/// cannot express (both or neither of `gpu`/`cpu`, both mount kinds, both CUDA constraints, port syntax) are 400.
enum CreatePodValidation {
    static let topLevelFields: Set<String> = [
        "args", "disk", "env", "image", "ports", "registry", "name", "cloud", "cpu", "dataCenterIds",
        "globalNetworking", "gpu", "mounts", "startJupyter", "startSsh", "templateId",
    ]

    /// The violations of the contract; empty when the body matches it.
    static func contractViolations(_ body: JSONValue) -> [String] {
        guard let object = body.objectValue else { return ["$: expected object, got \(body.typeName)"] }
        var errors: [String] = []
        let unknown = object.keys.filter { !topLevelFields.contains($0) }.sorted()
        for key in unknown { errors.append("$: additional properties '\(key)' not allowed") }
        if object["name"] == nil { errors.append("$: missing property 'name'") }
        if object["image"] == nil && object["templateId"] == nil { errors.append("$: missing property 'image'") }
        expect(object, "name", "$.name", .string(minLength: 1), &errors)
        expect(object, "image", "$.image", .string(minLength: 0), &errors)
        expect(object, "args", "$.args", .string(minLength: 0), &errors)
        expect(object, "templateId", "$.templateId", .string(minLength: 1), &errors)
        expect(object, "registry", "$.registry", .nullableString, &errors)
        expect(object, "disk", "$.disk", .integer(minimum: 1), &errors)
        expect(object, "cloud", "$.cloud", .enumeration(["SECURE", "COMMUNITY"]), &errors)
        expect(object, "globalNetworking", "$.globalNetworking", .boolean, &errors)
        expect(object, "startJupyter", "$.startJupyter", .boolean, &errors)
        expect(object, "startSsh", "$.startSsh", .boolean, &errors)
        expect(object, "ports", "$.ports", .stringArray, &errors)
        expect(object, "dataCenterIds", "$.dataCenterIds", .stringArray, &errors)
        if let env = object["env"] {
            if let members = env.objectValue {
                for (key, value) in members.sorted(by: { $0.key < $1.key }) where value.stringValue == nil {
                    errors.append("$.env.\(key): expected string, got \(value.typeName)")
                }
            } else {
                errors.append("$.env: expected object, got \(env.typeName)")
            }
        }
        if let gpu = object["gpu"] { errors += gpuViolations(gpu) }
        if let cpu = object["cpu"] { errors += cpuViolations(cpu) }
        if let mounts = object["mounts"] { errors += mountViolations(mounts) }
        return errors
    }

    private static func gpuViolations(_ gpu: JSONValue) -> [String] {
        guard let object = gpu.objectValue else { return ["$.gpu: expected object, got \(gpu.typeName)"] }
        var errors: [String] = []
        for key in object.keys.sorted() where !["id", "count", "allowedCudaVersions", "minCudaVersion"].contains(key) {
            errors.append("$.gpu: additional properties '\(key)' not allowed")
        }
        if object["id"] == nil { errors.append("$.gpu: missing property 'id'") }
        expect(object, "id", "$.gpu.id", .string(minLength: 0), &errors)
        expect(object, "count", "$.gpu.count", .integer(minimum: 1), &errors)
        expect(object, "minCudaVersion", "$.gpu.minCudaVersion", .cudaVersion, &errors)
        if let versions = object["allowedCudaVersions"] {
            if let items = versions.arrayValue {
                for (index, item) in items.enumerated() where !(item.stringValue.map(isCudaVersion) ?? false) {
                    errors.append("$.gpu.allowedCudaVersions[\(index)]: does not match pattern '^\\d+\\.\\d+$'")
                }
            } else {
                errors.append("$.gpu.allowedCudaVersions: expected array, got \(versions.typeName)")
            }
        }
        return errors
    }

    private static func cpuViolations(_ cpu: JSONValue) -> [String] {
        guard let object = cpu.objectValue else { return ["$.cpu: expected object, got \(cpu.typeName)"] }
        var errors: [String] = []
        for key in object.keys.sorted() where !["id", "vcpuCount"].contains(key) {
            errors.append("$.cpu: additional properties '\(key)' not allowed")
        }
        if object["id"] == nil { errors.append("$.cpu: missing property 'id'") }
        if object["vcpuCount"] == nil { errors.append("$.cpu: missing property 'vcpuCount'") }
        expect(object, "id", "$.cpu.id", .string(minLength: 1), &errors)
        expect(object, "vcpuCount", "$.cpu.vcpuCount", .integer(minimum: 2), &errors)
        return errors
    }

    private static func mountViolations(_ mounts: JSONValue) -> [String] {
        guard let object = mounts.objectValue else { return ["$.mounts: expected object, got \(mounts.typeName)"] }
        var errors: [String] = []
        for key in object.keys.sorted() where !["persistent", "network"].contains(key) {
            errors.append("$.mounts: additional properties '\(key)' not allowed")
        }
        if let persistent = object["persistent"] {
            if let fields = persistent.objectValue {
                for key in fields.keys.sorted() where !["size", "path"].contains(key) {
                    errors.append("$.mounts.persistent: additional properties '\(key)' not allowed")
                }
                for key in ["size", "path"] where fields[key] == nil {
                    errors.append("$.mounts.persistent: missing property '\(key)'")
                }
                expect(fields, "size", "$.mounts.persistent.size", .integer(minimum: 10), &errors)
                expect(fields, "path", "$.mounts.persistent.path", .string(minLength: 0), &errors)
            } else {
                errors.append("$.mounts.persistent: expected object, got \(persistent.typeName)")
            }
        }
        if let network = object["network"] {
            guard let items = network.arrayValue else { return errors + ["$.mounts.network: expected array, got \(network.typeName)"] }
            if items.count > 1 { errors.append("$.mounts.network: maximum 1 items required, but found \(items.count) items") }
            for (index, item) in items.enumerated() {
                let path = "$.mounts.network[\(index)]"
                guard let fields = item.objectValue else {
                    errors.append("\(path): expected object, got \(item.typeName)")
                    continue
                }
                for key in fields.keys.sorted() where !["volumeId", "path"].contains(key) {
                    errors.append("\(path): additional properties '\(key)' not allowed")
                }
                for key in ["volumeId", "path"] where fields[key] == nil { errors.append("\(path): missing property '\(key)'") }
                expect(fields, "volumeId", "\(path).volumeId", .string(minLength: 0), &errors)
                expect(fields, "path", "\(path).path", .string(minLength: 0), &errors)
            }
        }
        return errors
    }

    /// Handler rules on a body that matches the contract; nil when it passes. These are 400s.
    static func ruleViolation(_ object: [String: JSONValue]) -> String? {
        if object["gpu"] != nil && object["cpu"] != nil { return "exactly one of gpu or cpu must be set, not both" }
        if object["gpu"] == nil && object["cpu"] == nil { return "exactly one of gpu or cpu must be set" }
        if object["cpu"] != nil { return "no CPU flavor is available in this region" }
        if let mounts = object["mounts"]?.objectValue, mounts["persistent"] != nil, mounts["network"] != nil {
            return "mounts.persistent and mounts.network are mutually exclusive"
        }
        if let gpu = object["gpu"]?.objectValue, let allowed = gpu["allowedCudaVersions"]?.arrayValue, !allowed.isEmpty,
            gpu["minCudaVersion"] != nil
        {
            return "gpu.allowedCudaVersions and gpu.minCudaVersion are mutually exclusive"
        }
        for port in object["ports"]?.arrayValue ?? [] {
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

    /// Whether the body's CUDA constraint admits the emulator's machines.
    static func cudaConstraintAdmitsMachines(_ object: [String: JSONValue]) -> Bool {
        guard let gpu = object["gpu"]?.objectValue else { return true }
        let machine = "\(machineCudaVersion.0).\(machineCudaVersion.1)"
        if let allowed = gpu["allowedCudaVersions"]?.arrayValue, !allowed.isEmpty {
            return allowed.contains { $0.stringValue == machine }
        }
        if let minimum = gpu["minCudaVersion"]?.stringValue {
            let parts = minimum.split(separator: ".").compactMap { Int($0) }
            guard parts.count == 2 else { return true }
            return (parts[0], parts[1]) <= machineCudaVersion
        }
        return true
    }

    /// The API-neutral request of a valid body.
    static func creation(from object: [String: JSONValue]) -> PodCreation {
        let gpu = object["gpu"]?.objectValue ?? [:]
        let network = object["mounts"]?["network"]?.arrayValue?.first
        let persistent = object["mounts"]?["persistent"]
        let env = (object["env"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { EnvVar(key: $0.key, value: $0.value.stringValue ?? "") }
        return PodCreation(
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
            args: object["args"]?.stringValue)
    }

    // MARK: Type checks

    enum Expectation {
        case string(minLength: Int)
        case nullableString
        case integer(minimum: Int)
        case boolean
        case enumeration([String])
        case stringArray
        case cudaVersion
    }

    static func expect(_ object: [String: JSONValue], _ key: String, _ path: String, _ expectation: Expectation, _ errors: inout [String]) {
        guard let value = object[key] else { return }
        switch expectation {
        case .string(let minLength):
            guard let text = value.stringValue else { return errors.append("\(path): expected string, got \(value.typeName)") }
            if text.count < minLength { errors.append("\(path): length must be >= \(minLength), but got \(text.count)") }
        case .nullableString:
            if value != .null && value.stringValue == nil { errors.append("\(path): expected string or null, got \(value.typeName)") }
        case .integer(let minimum):
            guard case .int(let number) = value else { return errors.append("\(path): expected integer, got \(value.typeName)") }
            if number < minimum { errors.append("\(path): must be >= \(minimum) but found \(number)") }
        case .boolean:
            if value.boolValue == nil { errors.append("\(path): expected boolean, got \(value.typeName)") }
        case .enumeration(let allowed):
            guard let text = value.stringValue else { return errors.append("\(path): expected string, got \(value.typeName)") }
            if !allowed.contains(text) {
                errors.append("\(path): value must be one of \(allowed.map { "'\($0)'" }.joined(separator: ", "))")
            }
        case .stringArray:
            guard let items = value.arrayValue else { return errors.append("\(path): expected array, got \(value.typeName)") }
            for (index, item) in items.enumerated() where item.stringValue == nil {
                errors.append("\(path)[\(index)]: expected string, got \(item.typeName)")
            }
        case .cudaVersion:
            guard let text = value.stringValue, isCudaVersion(text) else {
                return errors.append("\(path): does not match pattern '^\\d+\\.\\d+$'")
            }
        }
    }

    static func isCudaVersion(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }
}
