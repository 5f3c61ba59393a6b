import Foundation
import RunPodAPI

/// Which of several network volumes (one per data center) a launch uses, and why.
public struct VolumeChoice: Sendable, Hashable {
    /// The volume chosen.
    public var volumeID: String
    /// Its data center.
    public var dataCenterID: String
    /// The highest-priority GPU the catalog shows in stock there; nil when no volume's data center had any
    /// (the first volume is used, and placement reports the shortage).
    public var gpuTypeID: String?

    /// Creates a choice.
    public init(volumeID: String, dataCenterID: String, gpuTypeID: String?) {
        self.volumeID = volumeID
        self.dataCenterID = dataCenterID
        self.gpuTypeID = gpuTypeID
    }
}

extension RunPodLauncher {
    /// Chooses among network volumes in different data centers: the one whose data center has stock for the
    /// highest-priority GPU in `spec` (GPU priority first, then the volumes' order). One volume read per volume and
    /// one catalog read; `notFound` for an unknown volume.
    public func chooseNetworkVolume(_ volumeIDs: [String], for spec: LaunchSpec) async throws -> VolumeChoice {
        try await chooseNetworkVolume(volumeIDs, for: spec, pacer: nil)
    }

    func chooseNetworkVolume(_ volumeIDs: [String], for spec: LaunchSpec, pacer: RatePacer?) async throws -> VolumeChoice {
        let paced = Paced(pacer)
        guard let first = volumeIDs.first else { throw LauncherError.invalidInput("No network volume to choose from.") }
        var volumes: [(id: String, dataCenterID: String)] = []
        for id in volumeIDs {
            do {
                volumes.append((id, try await paced { try await client.getNetworkVolume(id: id) }.dataCenter))
            } catch let error as RunPodAPIError {
                throw map(error, notFound: ("network volume", id))
            }
        }
        let fallback = VolumeChoice(volumeID: first, dataCenterID: volumes[0].dataCenterID, gpuTypeID: nil)
        guard volumes.count > 1 else { return fallback }
        let catalog: [RunPod.GPUType]
        do {
            // Network volumes exist only in Secure Cloud, so only its stock counts.
            catalog = try await paced { try await client.listGPUTypes(count: spec.gpuCount, cloud: .secure) }
        } catch let error as RunPodAPIError {
            throw map(error)
        }
        let log = logger(operation: "launch")
        for gpuID in spec.gpuTypeIDs {
            for volume in volumes
            where Self.unavailableReason(gpuID, cloud: .secure, dataCenterID: volume.dataCenterID, catalog: catalog) == nil {
                log.info(
                    "network volume chosen", metadata: ["volume.id": "\(volume.id)", "dataCenter": "\(volume.dataCenterID)", "gpu": "\(gpuID)"])
                return VolumeChoice(volumeID: volume.id, dataCenterID: volume.dataCenterID, gpuTypeID: gpuID)
            }
        }
        log.info("no listed volume's data center has a requested GPU in stock; using the first", metadata: ["volume.id": "\(first)"])
        return fallback
    }
}
