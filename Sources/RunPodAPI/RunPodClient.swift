import Foundation
import Logging

/// A small client for the RunPod REST v2 operations the launcher uses.
///
/// Signatures fixed for PodLauncher; bodies written by the RunPodAPI implementer.
public struct RunPodClient: Sendable {
    public init(baseURL: URL, apiKey: APIKey, logger: Logger? = nil) { fatalError("unimplemented") }

    /// `listPods`: `GET /v2/pods`.
    public func listPods() async throws -> [RunPod.Pod] { fatalError("unimplemented") }
    /// `getPod`: `GET /v2/pods/{id}`. Throws `.http(status: 404)` when unknown.
    public func getPod(id: String) async throws -> RunPod.Pod { fatalError("unimplemented") }
    /// `createPod`: `POST /v2/pods`. Never retried blindly: see `RunPodAPIError.mayHaveBeenApplied`.
    public func createPod(_ request: RunPod.CreatePodRequest) async throws -> RunPod.Pod { fatalError("unimplemented") }
    /// `deletePod`: `DELETE /v2/pods/{id}` (204).
    public func deletePod(id: String) async throws { fatalError("unimplemented") }
    /// `getNetworkVolume`: `GET /v2/network-volumes/{id}`.
    public func getNetworkVolume(id: String) async throws -> RunPod.NetworkVolume { fatalError("unimplemented") }
    /// `listNetworkVolumes`: `GET /v2/network-volumes`.
    public func listNetworkVolumes() async throws -> [RunPod.NetworkVolume] { fatalError("unimplemented") }
    /// `listGpuTypes`: `GET /v2/catalog/gpus?include=AVAILABILITY&product=POD&count=N&cloud=C`.
    public func listGPUTypes(count: Int = 1, cloud: RunPod.Cloud? = nil) async throws -> [RunPod.GPUType] {
        fatalError("unimplemented")
    }
}
