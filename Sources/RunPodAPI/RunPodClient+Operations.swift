import Foundation

/// `ListPodsResponse` and friends: the list envelopes of REST v2.
private struct PodList: Decodable { var pods: [RunPod.Pod] }
private struct NetworkVolumeList: Decodable { var networkVolumes: [RunPod.NetworkVolume] }
private struct GPUTypeList: Decodable { var gpus: [RunPod.GPUType] }
private struct DataCenterList: Decodable { var dataCenters: [RunPod.DataCenter] }
private struct PodActionBody: Encodable { var action: RunPod.PodAction }

extension RunPodClient {
    /// `listPods`: `GET /v2/pods`.
    public func listPods() async throws -> [RunPod.Pod] {
        try await perform(Endpoint(operation: "listPods", method: "GET", path: ["pods"], idempotent: true), decoding: PodList.self).pods
    }

    /// `getPod`: `GET /v2/pods/{id}`. Throws `.http(status: 404)` when unknown.
    public func getPod(id: String) async throws -> RunPod.Pod {
        try await perform(Endpoint(operation: "getPod", method: "GET", path: ["pods", id], idempotent: true), decoding: RunPod.Pod.self)
    }

    /// `createPod`: `POST /v2/pods`. Never retried blindly: see `RunPodAPIError.mayHaveBeenApplied`.
    public func createPod(_ request: RunPod.CreatePodRequest) async throws -> RunPod.Pod {
        let body: Data
        do {
            body = try JSONEncoder().encode(request)
        } catch {
            throw RunPodAPIError(operation: "createPod", kind: .malformedResponse, message: "could not encode the create request: \(error)")
        }
        let endpoint = Endpoint(operation: "createPod", method: "POST", path: ["pods"], body: body, idempotent: false)
        return try await perform(endpoint, decoding: RunPod.Pod.self)
    }

    /// `deletePod`: `DELETE /v2/pods/{id}` (204).
    public func deletePod(id: String) async throws {
        _ = try await perform(Endpoint(operation: "deletePod", method: "DELETE", path: ["pods", id], idempotent: true))
    }

    /// `podAction`: `POST /v2/pods/{id}/action`. Returns the pod for start/stop/restart (200), nil for terminate (204).
    @discardableResult
    public func podAction(id: String, action: RunPod.PodAction) async throws -> RunPod.Pod? {
        let body = try JSONEncoder().encode(PodActionBody(action: action))
        // Asking for the same state twice is harmless, so actions are retried like reads.
        let endpoint = Endpoint(operation: "podAction", method: "POST", path: ["pods", id, "action"], body: body, idempotent: true)
        let response = try await perform(endpoint)
        if response.status == 204 || response.body.isEmpty { return nil }
        return try ResponseDecoding.decode(RunPod.Pod.self, from: response, operation: "podAction", mayHaveBeenApplied: true)
    }

    /// `getNetworkVolume`: `GET /v2/network-volumes/{id}`.
    public func getNetworkVolume(id: String) async throws -> RunPod.NetworkVolume {
        try await perform(
            Endpoint(operation: "getNetworkVolume", method: "GET", path: ["network-volumes", id], idempotent: true),
            decoding: RunPod.NetworkVolume.self)
    }

    /// `listNetworkVolumes`: `GET /v2/network-volumes`.
    public func listNetworkVolumes() async throws -> [RunPod.NetworkVolume] {
        try await perform(
            Endpoint(operation: "listNetworkVolumes", method: "GET", path: ["network-volumes"], idempotent: true),
            decoding: NetworkVolumeList.self
        ).networkVolumes
    }

    /// `listGpuTypes`: `GET /v2/catalog/gpus?include=AVAILABILITY&product=POD&count=N&cloud=C`.
    public func listGPUTypes(count: Int = 1, cloud: RunPod.Cloud? = nil) async throws -> [RunPod.GPUType] {
        var query = [
            URLQueryItem(name: "include", value: "AVAILABILITY"), URLQueryItem(name: "product", value: "POD"),
            URLQueryItem(name: "count", value: String(count)),
        ]
        if let cloud { query.append(URLQueryItem(name: "cloud", value: cloud.rawValue)) }
        return try await perform(
            Endpoint(operation: "listGpuTypes", method: "GET", path: ["catalog", "gpus"], query: query, idempotent: true),
            decoding: GPUTypeList.self
        ).gpus
    }

    /// `listDataCenters`: `GET /v2/catalog/datacenters?include=GPU_AVAILABILITY`.
    public func listDataCenters() async throws -> [RunPod.DataCenter] {
        try await perform(
            Endpoint(
                operation: "listDataCenters", method: "GET", path: ["catalog", "datacenters"],
                query: [URLQueryItem(name: "include", value: "GPU_AVAILABILITY")], idempotent: true),
            decoding: DataCenterList.self
        ).dataCenters
    }
}
