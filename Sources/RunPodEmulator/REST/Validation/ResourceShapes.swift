/// RunPod's request bodies for the account's resources: SSH keys, templates, registries, ECR delegations, network
/// volumes and clusters.
enum ResourceShapes {
    /// `UpdateSshKeysRequest`.
    static let sshKeys = BodyShape.object(
        ObjectShape(
            members: ["keys": .array(.pattern(#"^(ssh|ecdsa|sk)-[^\s]+ [^\s]+([ \t][^\n\r]*)?$"#, DemoSSHKey.isValid))], required: ["keys"]))

    private static let templateMounts = BodyShape.object(ObjectShape(members: ["persistent": .object(PodShapes.persistentMount)]))
    private static let templateMembers: [String: BodyShape] = PodShapes.container.merging([
        "name": .string(minLength: 1), "allowedCudaVersions": .array(BodyShape.cudaVersion), "category": .enumeration(["CPU", "NVIDIA", "AMD"]),
        "mounts": templateMounts, "public": .boolean, "serverless": .boolean, "startJupyter": .boolean, "startSsh": .boolean,
    ]) { _, new in new }

    /// `CreateTemplateRequest`.
    static let createTemplate = BodyShape.object(ObjectShape(members: templateMembers, required: ["name", "image"]))
    /// `UpdateTemplateRequest`.
    static let updateTemplate = BodyShape.object(ObjectShape(members: templateMembers))

    /// `CreateRegistryRequest`.
    static let createRegistry = BodyShape.object(
        ObjectShape(
            members: ["name": .string(minLength: 1), "username": .string(minLength: 1), "password": .string(minLength: 1)],
            required: ["name", "username", "password"]))

    /// `CreateDelegationRequest`.
    static let createDelegation = BodyShape.object(
        ObjectShape(members: ["resource": .string(), "name": .nullableString], required: ["resource"]))

    /// `CreateNetworkVolumeRequest`.
    static let createVolume = BodyShape.object(
        ObjectShape(
            members: [
                "name": .string(minLength: 1), "size": .integer(minimum: 10, maximum: 4096), "dataCenter": .string(minLength: 1),
                "type": .enumeration(["STANDARD", "HIGH_PERFORMANCE"]),
            ], required: ["name", "size", "dataCenter"]))

    /// `UpdateNetworkVolumeRequest`.
    static let updateVolume = BodyShape.object(
        ObjectShape(members: ["name": .string(minLength: 1), "size": .integer(minimum: 10, maximum: 4096)]))

    /// `CreateClusterRequest`.
    static let createCluster = BodyShape.object(
        ObjectShape(
            members: PodShapes.container.filter { $0.key != "registry" }.merging([
                "name": .string(minLength: 1), "type": .enumeration(["APPLICATION", "TRAINING", "SLURM", "RAY"]),
                "compute": .object(
                    ObjectShape(
                        members: [
                            "gpuTypeId": .string(minLength: 1), "gpuCountPerPod": .integer(minimum: 1),
                            "podCount": .integer(minimum: 2, maximum: 250),
                        ], required: ["gpuTypeId", "gpuCountPerPod", "podCount"])),
                "dataCenterIds": .array(.string()), "mounts": PodShapes.mounts, "startJupyter": .boolean, "startSsh": .boolean,
            ]) { _, new in new },
            required: ["name", "type", "compute"]))

    /// `UpdateClusterRequest`.
    static let updateCluster = BodyShape.object(ObjectShape(members: ["name": .string(minLength: 1)]))
}
