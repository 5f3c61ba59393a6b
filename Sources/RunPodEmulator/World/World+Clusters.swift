import Foundation

/// Clusters: created with their member pods in one data center, renamed, and deleted with their pods.
extension World {
    /// Creates a cluster and its members (see `WorldState.createCluster`).
    func createCluster(_ request: ClusterCreation, apiKey: String?) throws(WorldError) -> ClusterRecord {
        let (now, scale) = (clock.now, timeScale)
        return try state.withLock { (world: inout WorldState) throws(WorldError) -> ClusterRecord in
            try world.createCluster(request, apiKey: apiKey, now: now, timeScale: scale)
        }
    }

    /// Clusters not deleted, oldest first.
    func clusters() -> [ClusterRecord] { state.withLock { $0.clusters.filter { $0.deletedAt == nil } } }

    /// One cluster not deleted; nil when unknown.
    func cluster(id: String) -> ClusterRecord? { state.withLock { w in w.clusters.first { $0.id == id && $0.deletedAt == nil } } }

    /// A cluster's member pods that are not terminated, by rank, advanced to now.
    func members(of cluster: ClusterRecord) -> [PodRecord] { cluster.podIDs.compactMap { pod(id: $0) } }

    /// Renames a cluster.
    func renameCluster(id: String, to name: String) throws(WorldError) -> ClusterRecord {
        try state.withLock { (world: inout WorldState) throws(WorldError) -> ClusterRecord in
            guard let index = world.clusters.firstIndex(where: { $0.id == id && $0.deletedAt == nil }) else { throw .missing("cluster not found") }
            world.clusters[index].name = name
            return world.clusters[index]
        }
    }

    /// Deletes a cluster: every member pod is terminated, its GPUs return to stock.
    func deleteCluster(id: String) throws(WorldError) {
        let (now, scale) = (clock.now, timeScale)
        try state.withLock { (world: inout WorldState) throws(WorldError) in
            guard let index = world.clusters.firstIndex(where: { $0.id == id && $0.deletedAt == nil }) else { throw .missing("cluster not found") }
            for podID in world.clusters[index].podIDs {
                world.advance(id: podID, now: now, timeScale: scale)
                if world.pods[podID]?.record.alive == true { try world.terminate(id: podID, now: now) }
            }
            world.clusters[index].deletedAt = now
        }
    }
}
