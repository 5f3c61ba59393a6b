/// RunPod's serverless endpoint bodies (`CreateEndpointRequest`, `UpdateEndpointRequest`).
enum ServerlessShapes {
    static let scaling = BodyShape.object(
        ObjectShape(
            members: [
                "type": .enumeration(["QUEUE_DELAY", "REQUEST_COUNT"]), "queueDelay": .number(minimum: 0.5), "requestCount": .integer(minimum: 1),
            ], required: ["type"]))

    static let workers = BodyShape.object(
        ObjectShape(members: ["min": .integer(minimum: 0), "max": .integer(minimum: 0), "idleTimeout": .integer(minimum: 1, maximum: 3600)]))

    static func gpu(required: [String]) -> BodyShape {
        .object(
            ObjectShape(
                members: [
                    "pools": .array(.string(), minItems: 1), "excludedTypes": .array(.string()), "count": .integer(minimum: 1),
                    "allowedCudaVersions": .array(BodyShape.cudaVersion), "minCudaVersion": BodyShape.cudaVersion,
                ], required: required))
    }

    private static let members: [String: BodyShape] = PodShapes.container.merging([
        "name": .string(minLength: 1), "scaling": scaling, "cpu": .array(PodShapes.createCPU, minItems: 1), "dataCenterIds": .array(.string()),
        "flashboot": .enumeration(["OFF", "FLASHBOOT", "PRIORITY_FLASHBOOT"]), "networkVolumes": .array(.string()), "timeout": .integer(minimum: 1),
        "workers": workers,
    ]) { _, new in new }

    /// `CreateEndpointRequest`.
    static let create = BodyShape.object(
        ObjectShape(
            members: members.merging([
                "type": .enumeration(["QUEUE", "LOAD_BALANCER"]), "gpu": gpu(required: ["pools"]), "templateId": .string(minLength: 1),
            ]) { _, new in new },
            required: ["name", "type", "scaling"]))

    /// `UpdateEndpointRequest`.
    static let update = BodyShape.object(
        ObjectShape(members: members.merging(["gpu": gpu(required: []), "templateId": .string()]) { _, new in new }))
}
