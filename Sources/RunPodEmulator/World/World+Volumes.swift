import Foundation

/// Network volumes: created, resized and deleted through REST; billed from their creation to their deletion.
extension World {
    /// Creates a volume in a data center, of its primary tier unless `type` says otherwise.
    func createNetworkVolume(name: String, size: Int, dataCenterID: String, type: String?) throws(WorldError) -> NetworkVolume {
        let now = clock.now
        return try state.withLock { (world: inout WorldState) throws(WorldError) -> NetworkVolume in
            guard let center = world.dataCenters.first(where: { $0.id == dataCenterID }) else {
                throw .invalid("data center '\(dataCenterID)' does not exist")
            }
            guard let tier = type ?? center.networkVolumeTypes.first else {
                throw .invalid("data center \(dataCenterID) does not offer network volumes")
            }
            guard center.networkVolumeTypes.contains(tier) else {
                throw .invalid("data center \(dataCenterID) does not offer \(tier) network volumes")
            }
            let volume = NetworkVolume(id: world.random.identifier(length: 10), name: name, size: size, dataCenterId: dataCenterID, type: tier)
            world.networkVolumes.append(volume)
            world.volumeLives.append(VolumeLife(id: volume.id, type: tier, size: size, start: now))
            return volume
        }
    }

    /// Renames or grows a volume; a smaller size is refused.
    func updateNetworkVolume(id: String, name: String?, size: Int?) throws(WorldError) -> NetworkVolume {
        try state.withLock { (world: inout WorldState) throws(WorldError) -> NetworkVolume in
            guard let index = world.networkVolumes.firstIndex(where: { $0.id == id }) else { throw .missing("network volume not found") }
            var volume = world.networkVolumes[index]
            if let size {
                guard size >= volume.size else { throw .invalid("size can only increase: the volume has \(volume.size) GB, asked for \(size)") }
                volume.size = size
                if let life = world.volumeLives.lastIndex(where: { $0.id == id }) { world.volumeLives[life].size = size }
            }
            if let name { volume.name = name }
            world.networkVolumes[index] = volume
            return volume
        }
    }

    /// Deletes a volume unless a pod that is not terminated has it attached.
    func deleteNetworkVolume(id: String) throws(WorldError) {
        let (now, scale) = (clock.now, timeScale)
        try state.withLock { (world: inout WorldState) throws(WorldError) in
            guard let index = world.networkVolumes.firstIndex(where: { $0.id == id }) else { throw .missing("network volume not found") }
            for podID in world.podOrder {
                world.advance(id: podID, now: now, timeScale: scale)
                if let pod = world.pods[podID]?.record, pod.alive, pod.creation.networkVolumeID == id {
                    throw .invalid("network volume is attached to pod \(podID); terminate the pod first")
                }
            }
            world.networkVolumes.remove(at: index)
            if let life = world.volumeLives.lastIndex(where: { $0.id == id }) { world.volumeLives[life].end = now }
        }
    }

    /// What billing reads, copied at one instant with every pod advanced to now.
    func billingLedger() -> BillingLedger {
        let (now, scale) = (clock.now, timeScale)
        return state.withLock { world in
            let pods = world.podOrder.compactMap { id -> BillingLedger.PodEntry? in
                world.advance(id: id, now: now, timeScale: scale)
                guard let pod = world.pods[id] else { return nil }
                return BillingLedger.PodEntry(id: id, clusterID: pod.record.cluster?.clusterID, spans: pod.spans)
            }
            return BillingLedger(
                pods: pods, volumes: world.volumeLives, clusters: world.clusters.map { ($0.id, $0.createdAt, $0.deletedAt) },
                endpoints: world.endpoints.map { BillingLedger.EndpointEntry(id: $0.id, start: $0.createdAt) }, now: now)
        }
    }
}
