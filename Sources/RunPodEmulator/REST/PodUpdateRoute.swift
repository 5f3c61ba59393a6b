import Foundation

/// `PATCH /v2/pods/{id}`: only the fields sent change. RunPod's mount rules: omitted or `{}` leaves the mount;
/// `network: []` is 400 (mounts cannot be cleared); a mount kind the pod was not created with is 400; another
/// `volumeId` is 400; the path may change. A persistent mount may grow, not shrink (400; the issue leaves it open).
func updatePod(_ call: RESTCall, world: World) -> Reply {
    let id = call.parameter()
    var object: [String: JSONValue]
    switch call.object(PodShapes.update) {
    case .failure(let reply): return reply
    case .success(let value): object = value
    }
    guard let pod = world.pod(id: id) else { return .notFound("pod") }
    if let refusal = clusterRefusal(id, world: world, verb: "modified") { return refusal }
    if let templateID = object["templateId"]?.stringValue {
        switch TemplateMerge.resolve(templateID, world: world) {
        case .failure(let reply): return reply
        case .success(let template): object = TemplateMerge.apply(template, to: object, forCreate: false)
        }
        if TemplateMerge.tooLarge(object) { return RESTGate.tooLarge }
    }
    var update = PodUpdate()
    switch mountChange(object["mounts"]?.objectValue ?? [:], pod: pod.creation) {
    case .failure(let error): return .problem(.badRequest, detail: error.detail)
    case .success(let change): (update.mountPath, update.volumeGB) = change
    }
    if let problem = CreatePodValidation.portViolation(object["ports"]) { return .problem(.badRequest, detail: problem) }
    switch CommandFields.resolve(object, current: pod.creation.command) {
    case .failure(let error): return .problem(.badRequest, detail: error.detail)
    case .success(let command): update.command = command
    }
    update.name = object["name"]?.stringValue
    update.image = object["image"]?.stringValue
    update.containerDiskGB = object["disk"]?.intValue
    update.ports = object["ports"]?.arrayValue?.compactMap(\.stringValue)
    update.env = object["env"]?.objectValue.map { env in
        env.sorted { $0.key < $1.key }.map { EnvVar(key: $0.key, value: $0.value.stringValue ?? "") }
    }
    if let registry = object["registry"] { update.registry = .some(registry.stringValue) }
    update.locked = object["locked"]?.boolValue
    update.globalNetworking = object["globalNetworking"]?.boolValue
    do throws(WorldError) {
        return .json(PodView(record: try world.updatePod(id: id, update), now: world.clock.now))
    } catch {
        return restProblem(error)
    }
}

/// The new mount path and persistent size a PATCH's `mounts` asks for (nil: unchanged), or why it cannot.
private func mountChange(_ mounts: [String: JSONValue], pod: PodCreation) -> Result<(String?, Int?), CommandError> {
    if mounts["persistent"] != nil && mounts["network"] != nil {
        return .failure(CommandError(detail: "mounts.persistent and mounts.network are mutually exclusive"))
    }
    let hasPersistent = pod.networkVolumeID == nil && (pod.volumeGB ?? 0) >= 10
    if let network = mounts["network"]?.arrayValue {
        guard let entry = network.first else { return .failure(CommandError(detail: "mounts.network cannot be cleared: [] is not supported")) }
        guard let volume = pod.networkVolumeID else {
            return .failure(CommandError(detail: "mount kind is fixed at create: this pod has no network mount"))
        }
        guard entry["volumeId"]?.stringValue == volume else {
            return .failure(CommandError(detail: "mounts.network[0].volumeId is immutable: this pod mounts \(volume)"))
        }
        return .success((entry["path"]?.stringValue, nil))
    }
    if let persistent = mounts["persistent"]?.objectValue {
        guard hasPersistent, let current = pod.volumeGB else {
            return .failure(CommandError(detail: "mount kind is fixed at create: this pod has no persistent mount"))
        }
        let size = persistent["size"]?.intValue ?? current
        guard size >= current else {
            return .failure(CommandError(detail: "mounts.persistent.size can only increase: the pod has \(current) GB, asked for \(size)"))
        }
        return .success((persistent["path"]?.stringValue, size))
    }
    return .success((nil, nil))
}
