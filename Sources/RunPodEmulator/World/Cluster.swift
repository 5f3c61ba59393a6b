import Foundation

/// A multi-node cluster: `podCount` identical member pods in one data center, on a private overlay network.
struct ClusterRecord: Sendable, Hashable {
    var id: String
    var name: String
    /// `APPLICATION`, `TRAINING`, `SLURM` or `RAY`.
    var type: String
    var gpuTypeID: String
    var gpuCountPerPod: Int
    var podCount: Int
    var templateID: String?
    var dataCenterID: String
    var createdAt: Date
    /// Member pods by rank.
    var podIDs: [String]
    var cidr: String
    var vxlanID: Int
    var vxlanPort: Int
    /// Set when the cluster is deleted (its pods are terminated; billing keeps its past).
    var deletedAt: Date?

    /// A member's role by cluster type and rank (rank 0 leads).
    static func role(type: String, rank: Int) -> String? {
        switch type {
        case "SLURM": rank == 0 ? "SLURM_CONTROLLER" : "SLURM_COMPUTE"
        case "RAY": rank == 0 ? "RAY_HEAD" : "RAY_WORKER"
        default: nil
        }
    }
}

/// What a cluster create asks for, API-neutral.
struct ClusterCreation: Sendable {
    var name: String
    var type: String
    var gpuTypeID: String
    var gpuCountPerPod: Int
    var podCount: Int
    var templateID: String?
    /// The container settings every member gets (name, GPU and count are filled in per member).
    var member: PodCreation
}
