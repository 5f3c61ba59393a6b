import Foundation

/// What the emulator has seen and holds: every pod (terminated too, with the exact create request), the network
/// volumes, stock, and calls per operation. `GET /_emulator/state` returns the same JSON.
public struct EmulatorState: Codable, Sendable {
    /// One pod, as tests and benchmarks inspect it.
    public struct PodState: Codable, Sendable {
        /// Pod id.
        public var id: String
        /// Pod name.
        public var name: String
        /// Status now (`TERMINATED` for terminated pods).
        public var status: String
        /// GraphQL's desired status.
        public var desiredStatus: String
        /// False once terminated.
        public var alive: Bool
        /// The exact create body (REST) or operation input (GraphQL).
        public var createRequest: JSONValue
        /// `rest` or `graphql`.
        public var api: String
        /// GPU type id.
        public var gpuTypeId: String
        /// GPU count.
        public var gpuCount: Int
        /// Data center it was placed in.
        public var dataCenterId: String
        /// `SECURE` or `COMMUNITY`.
        public var cloud: String
        /// Attached network volume, if any.
        public var networkVolumeId: String?
        /// USD per hour now.
        public var costPerHour: Double
        /// Whether the app answers through the proxy.
        public var appReady: Bool
        /// When the app last began answering through the proxy, RFC 3339: its scheduled time, so a benchmark can
        /// measure how late a client noticed. Nil if it never has.
        public var appReadyAt: String?
        /// When the current container became RUNNING, RFC 3339; nil unless RUNNING.
        public var runningAt: String?
        /// Creation time, RFC 3339.
        public var createdAt: String
        /// Termination time, RFC 3339.
        public var terminatedAt: String?
        /// The pod's ComfyUI jobs: completed, interrupted, lost when the pod was terminated or stopped, and the queue now.
        public var comfy: ComfyJobCounts
    }

    /// A network volume, as the inspection endpoint lists it.
    public struct VolumeState: Codable, Sendable {
        /// Volume id.
        public var id: String
        /// Name.
        public var name: String
        /// Size in GB.
        public var size: Int
        /// Its data center.
        public var dataCenterId: String
    }

    /// Every pod, oldest first.
    public var pods: [PodState]
    /// The account's network volumes.
    public var networkVolumes: [VolumeState]
    /// Calls per operation (REST operationId, `graphql`, `proxy`).
    public var calls: [String: Int]
    /// Free GPUs per data center, GPU type and cloud.
    public var stock: [StockEntry]
    /// Account balance in USD.
    public var balance: Double

    init(world: World) {
        let comfy = world.comfyJobCounts()
        pods = world.allPods().map { pod in
            PodState(
                id: pod.id, name: pod.name, status: pod.status.rawValue, desiredStatus: pod.desiredStatus, alive: pod.alive,
                createRequest: pod.rawRequest, api: pod.api.rawValue, gpuTypeId: pod.creation.gpuTypeID, gpuCount: pod.creation.gpuCount,
                dataCenterId: pod.dataCenterID, cloud: pod.cloud.rawValue, networkVolumeId: pod.creation.networkVolumeID,
                costPerHour: pod.costPerHour, appReady: pod.appReady, appReadyAt: pod.appReadyAt.map(JSONCoding.timestamp),
                runningAt: pod.startedAt.map(JSONCoding.timestamp), createdAt: JSONCoding.timestamp(pod.createdAt),
                terminatedAt: pod.terminatedAt.map(JSONCoding.timestamp), comfy: comfy[pod.id] ?? ComfyJobCounts())
        }
        networkVolumes = world.networkVolumes().map { VolumeState(id: $0.id, name: $0.name, size: $0.size, dataCenterId: $0.dataCenterId) }
        calls = world.calls()
        stock = world.stockEntries()
        balance = world.balance
    }
}
