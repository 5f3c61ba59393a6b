import Foundation

/// A PATCH of a pod, API-neutral: nil leaves a field as it is.
struct PodUpdate: Sendable {
    var name: String?
    var image: String?
    var command: ContainerCommand?
    var containerDiskGB: Int?
    var ports: [String]?
    var env: [EnvVar]?
    /// `.some(nil)` clears the registry.
    var registry: String??
    var mountPath: String?
    var volumeGB: Int?
    var locked: Bool?
    var globalNetworking: Bool?

    /// Whether the change reaches the container (it restarts to apply it).
    var changesContainer: Bool {
        image != nil || command != nil || containerDiskGB != nil || ports != nil || env != nil || registry != nil || mountPath != nil
            || volumeGB != nil
    }
}

extension World {
    /// Applies a PATCH. A change that reaches the container restarts a pod holding a machine (with a fresh pull when
    /// the image changed); a stopped pod takes it at its next start. `globalNetworking` applies at the next start.
    func updatePod(id: String, _ update: PodUpdate) throws(WorldError) -> PodRecord {
        try mutate(id: id) { (world: inout WorldState, now: Date, scale: Double) throws(WorldError) in
            try world.update(id: id, update, now: now, timeScale: scale)
        }
    }
}

extension WorldState {
    mutating func update(id: String, _ update: PodUpdate, now: Date, timeScale: Double) throws(WorldError) {
        guard var pod = pods[id] else { throw .notFound }
        if case .some(.some(let registry)) = update.registry, !registries.contains(where: { $0.id == registry }) {
            throw .invalid("registry credential '\(registry)' does not exist")
        }
        var creation = pod.record.creation
        let imageChanged = update.image.map { $0 != creation.image } ?? false
        if let name = update.name {
            creation.name = name
            pod.record.name = name
        }
        if let image = update.image { creation.image = image }
        if let command = update.command { creation.command = command }
        if let disk = update.containerDiskGB { creation.containerDiskGB = disk }
        if let ports = update.ports { creation.ports = ports }
        if let env = update.env { creation.env = env }
        if let registry = update.registry { creation.registry = registry }
        if let path = update.mountPath { creation.mountPath = path }
        if let size = update.volumeGB { creation.volumeGB = size }
        if let enabled = update.globalNetworking { creation.globalNetworking = enabled }
        if let locked = update.locked { pod.record.locked = locked }
        pod.record.creation = creation
        if update.changesContainer && [.provisioning, .starting, .running].contains(pod.record.status) {
            pod.record.logs.append(
                LogLine(ts: now, source: "system", line: "pod configuration changed: restarting container", sequence: pod.record.logs.count + 1))
            pod.bootAt = now
            pod.bootKind = imageChanged || pod.record.status == .provisioning ? .fresh : .restart
            pod.applied = 0
            pod.scheduleLength = nil
            pod.record.appReady = false
        }
        pods[id] = pod
        advance(id: id, now: now, timeScale: timeScale)
    }
}
