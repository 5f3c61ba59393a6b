/// RunPod's pod request bodies (`CreatePodRequest`, `UpdatePodRequest`, `PodActionRequest`), as of the create-a-pod
/// page after 2026-08-18: `entrypoint` and `cmd` beside `args` (which also takes `{"entrypoint", "cmd"}`), and the
/// placement filters `minCudaVersion`, `minRamPerGpu`, `minVcpuCountPerGpu` in `gpu`.
enum PodShapes {
    /// `ContainerConfig`: what pods, templates and endpoints share.
    static let container: [String: BodyShape] = [
        "args": .string(), "disk": .integer(minimum: 1), "env": .stringMap, "image": .string(), "ports": .array(.string()),
        "registry": .nullableString,
    ]

    /// A pod's container config: `args` may also be the command object, and the exec-form arrays may be sent directly.
    static let podContainer: [String: BodyShape] = container.merging([
        "args": .either([.string(), .object(ObjectShape(members: ["entrypoint": .array(.string()), "cmd": .array(.string())]))]),
        "entrypoint": .array(.string()), "cmd": .array(.string()),
    ]) { _, pod in pod }

    static let persistentMount = ObjectShape(members: ["size": .integer(minimum: 10), "path": .string()], required: ["size", "path"])
    static let networkMount = ObjectShape(members: ["volumeId": .string(), "path": .string()], required: ["volumeId", "path"])
    static let mounts = BodyShape.object(
        ObjectShape(members: ["persistent": .object(persistentMount), "network": .array(.object(networkMount), maxItems: 1)]))

    static let createGPU = BodyShape.object(
        ObjectShape(
            members: [
                "id": .string(), "count": .integer(minimum: 1), "allowedCudaVersions": .array(BodyShape.cudaVersion),
                "minCudaVersion": BodyShape.cudaVersion, "minRamPerGpu": .integer(minimum: 1), "minVcpuCountPerGpu": .integer(minimum: 1),
            ], required: ["id"]))

    static let createCPU = BodyShape.object(
        ObjectShape(members: ["id": .string(minLength: 1), "vcpuCount": .integer(minimum: 2)], required: ["id", "vcpuCount"]))

    /// `CreatePodRequest` (plus "`image` unless `templateId`", which `CreatePodValidation` checks).
    static let create = BodyShape.object(
        ObjectShape(
            members: podContainer.merging([
                "name": .string(minLength: 1), "cloud": .enumeration(["SECURE", "COMMUNITY"]), "cpu": createCPU,
                "dataCenterIds": .array(.string()), "globalNetworking": .boolean, "gpu": createGPU, "mounts": mounts,
                "startJupyter": .boolean, "startSsh": .boolean, "templateId": .string(minLength: 1),
            ]) { _, new in new },
            required: ["name"]))

    /// `UpdatePodRequest`.
    static let update = BodyShape.object(
        ObjectShape(
            members: podContainer.merging([
                "globalNetworking": .boolean, "locked": .boolean, "mounts": mounts, "name": .string(minLength: 1), "templateId": .string(),
            ]) { _, new in new }))

    /// `PodActionRequest`.
    static let action = BodyShape.object(
        ObjectShape(members: ["action": .enumeration(["start", "stop", "restart", "terminate"])], required: ["action"]))
}
