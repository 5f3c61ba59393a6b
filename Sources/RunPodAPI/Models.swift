import Foundation

/// Namespace for RunPod REST v2 wire types, as published in RunPod's v2 OpenAPI document.
///
/// Only the fields the launcher uses are modelled; unknown fields are ignored when decoding so a
/// RunPod release that adds fields does not break us.
public enum RunPod {}

extension RunPod {
    /// `PodStatus`: the lifecycle status of a pod.
    public enum PodStatus: String, Codable, Sendable, CaseIterable {
        case provisioning = "PROVISIONING"
        case starting = "STARTING"
        case running = "RUNNING"
        case exited = "EXITED"
        case error = "ERROR"
        case terminated = "TERMINATED"
    }

    /// `PodAction`: a state transition to trigger on a pod.
    public enum PodAction: String, Codable, Sendable {
        case start, stop, restart, terminate
    }

    /// `Cloud`: the cloud tier a pod runs in.
    public enum Cloud: String, Codable, Sendable {
        case secure = "SECURE"
        case community = "COMMUNITY"
    }

    /// `AvailabilityLevel`: a catalog stock level.
    public enum AvailabilityLevel: String, Codable, Sendable, Comparable {
        case none = "NONE"
        case low = "LOW"
        case medium = "MEDIUM"
        case high = "HIGH"

        private var rank: Int {
            switch self {
            case .none: 0
            case .low: 1
            case .medium: 2
            case .high: 3
            }
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    /// `GpuConfig` as returned on a pod, with what was allocated for it.
    public struct PodGPU: Codable, Sendable, Hashable {
        public var id: String
        public var count: Int?
        /// vCPUs allocated to the pod in total (not per GPU); absent from answers older than RunPod's 2026-08-18 document.
        public var vcpuCount: Int?
        /// Host RAM allocated to the pod in total, in GB; absent from older answers.
        public var memory: Int?
        /// Creates the GPU block of a pod.
        public init(id: String, count: Int? = nil, vcpuCount: Int? = nil, memory: Int? = nil) {
            self.id = id
            self.count = count
            self.vcpuCount = vcpuCount
            self.memory = memory
        }
    }

    /// `PodCluster`: a pod's membership in a cluster (only cluster members carry it).
    public struct PodCluster: Codable, Sendable, Hashable {
        /// The cluster's ID.
        public var id: String
        /// The pod's node rank (0 is the entry node); nil until assigned.
        public var rank: Int?
        /// `SLURM_CONTROLLER`, `SLURM_COMPUTE`, `RAY_HEAD` or `RAY_WORKER`; absent for other cluster types.
        public var role: String?
        /// The pod's address on the cluster's private network, once assigned.
        public var ip: String?
        /// Creates a cluster membership.
        public init(id: String, rank: Int? = nil, role: String? = nil, ip: String? = nil) {
            self.id = id
            self.rank = rank
            self.role = role
            self.ip = ip
        }
    }

    /// `NetworkMount`: a network volume attached to a pod.
    public struct NetworkMount: Codable, Sendable, Hashable {
        public var volumeId: String
        public var path: String
        public init(volumeId: String, path: String) {
            self.volumeId = volumeId
            self.path = path
        }
    }

    /// `Mounts`: at most one network volume today.
    public struct Mounts: Codable, Sendable, Hashable {
        public var network: [NetworkMount]?
        public init(network: [NetworkMount]? = nil) { self.network = network }
    }

    /// `PodRuntimePort`: a live port mapping of a running pod.
    public struct RuntimePort: Codable, Sendable, Hashable {
        public var `private`: Int?
        public var `public`: Int?
        public var type: String?
        public var ip: String?
        public init(private: Int?, public: Int?, type: String?, ip: String?) {
            self.private = `private`
            self.public = `public`
            self.type = type
            self.ip = ip
        }
    }

    /// `PodRuntime`: present only while the container is up (`RUNNING`).
    public struct PodRuntime: Codable, Sendable, Hashable {
        public var uptime: Int?
        public var ports: [RuntimePort]?
        public init(uptime: Int?, ports: [RuntimePort]?) {
            self.uptime = uptime
            self.ports = ports
        }
    }

    /// `PodSshEndpoint`: one way to reach a pod over SSH.
    public struct SSHEndpoint: Codable, Sendable, Hashable {
        public var host: String
        public var port: Int
        public var username: String
        public var command: String
        /// Creates an SSH endpoint.
        public init(host: String, port: Int, username: String, command: String) {
            self.host = host
            self.port = port
            self.username = username
            self.command = command
        }
    }

    /// `PodSsh`: both SSH variants, each null until available.
    public struct PodSSH: Codable, Sendable, Hashable {
        public var proxy: SSHEndpoint?
        public var direct: SSHEndpoint?
        /// Creates the SSH block.
        public init(proxy: SSHEndpoint? = nil, direct: SSHEndpoint? = nil) {
            self.proxy = proxy
            self.direct = direct
        }
    }

    /// `Pod`: a pod as RunPod reports it.
    public struct Pod: Codable, Sendable, Hashable {
        public var id: String
        public var name: String
        public var status: PodStatus
        public var actions: [PodAction]?
        public var image: String?
        public var ports: [String]?
        public var env: [String: String]?
        public var mounts: Mounts?
        public var gpu: PodGPU?
        public var cloud: Cloud?
        public var dataCenterId: String?
        /// USD per hour; 0 when `EXITED` or `TERMINATED`.
        public var cost: Double?
        public var runtime: PodRuntime?
        public var ssh: PodSSH?
        public var createdAt: String?
        public var startedAt: String?
        /// The container command as stored: a shell string, or a JSON object text `{"entrypoint": […], "cmd": […]}`.
        public var args: String?
        /// The exec-form ENTRYPOINT the pod runs; empty keeps the image's own.
        public var entrypoint: [String]?
        /// The exec-form CMD the pod runs; empty keeps the image's own.
        public var cmd: [String]?
        /// Cluster membership; nil for a pod outside any cluster.
        public var cluster: PodCluster?

        /// Creates a pod value.
        public init(
            id: String, name: String, status: PodStatus, actions: [PodAction]? = nil, image: String? = nil, ports: [String]? = nil,
            env: [String: String]? = nil, mounts: Mounts? = nil, gpu: PodGPU? = nil, cloud: Cloud? = nil, dataCenterId: String? = nil,
            cost: Double? = nil, runtime: PodRuntime? = nil, ssh: PodSSH? = nil, createdAt: String? = nil, startedAt: String? = nil,
            args: String? = nil, entrypoint: [String]? = nil, cmd: [String]? = nil, cluster: PodCluster? = nil
        ) {
            self.id = id
            self.name = name
            self.status = status
            self.actions = actions
            self.image = image
            self.ports = ports
            self.env = env
            self.mounts = mounts
            self.gpu = gpu
            self.cloud = cloud
            self.dataCenterId = dataCenterId
            self.cost = cost
            self.runtime = runtime
            self.ssh = ssh
            self.createdAt = createdAt
            self.startedAt = startedAt
            self.args = args
            self.entrypoint = entrypoint
            self.cmd = cmd
            self.cluster = cluster
        }
    }

    /// `CreatePodRequest`, restricted to what the launcher sends.
    public struct CreatePodRequest: Codable, Sendable, Hashable {
        /// `CreateGpuConfig`: the GPU type and count, plus placement filters (nil ones are not sent).
        public struct GPU: Codable, Sendable, Hashable {
            public var id: String
            public var count: Int
            /// Lowest acceptable host CUDA version, `major.minor` (compared numerically: 12.11 > 12.2).
            public var minCudaVersion: String?
            /// Lowest acceptable host RAM per GPU, in GB (≥ 1): a placement filter, not a request.
            public var minRamPerGpu: Int?
            /// Lowest acceptable vCPU count per GPU (≥ 1): a placement filter, not a request.
            public var minVcpuCountPerGpu: Int?
            /// Creates the GPU request.
            public init(id: String, count: Int, minCudaVersion: String? = nil, minRamPerGpu: Int? = nil, minVcpuCountPerGpu: Int? = nil) {
                self.id = id
                self.count = count
                self.minCudaVersion = minCudaVersion
                self.minRamPerGpu = minRamPerGpu
                self.minVcpuCountPerGpu = minVcpuCountPerGpu
            }
        }

        public var name: String
        public var image: String
        public var gpu: GPU
        public var cloud: Cloud
        public var dataCenterIds: [String]?
        public var mounts: Mounts?
        public var ports: [String]?
        public var env: [String: String]?
        public var disk: Int?
        public var startSsh: Bool?
        /// The container start command (arguments to the image's entrypoint); nil keeps the image's own.
        public var args: String?
        /// Exec-form ENTRYPOINT overriding the image's; nil keeps the image's own.
        public var entrypoint: [String]?
        /// Exec-form CMD; nil keeps the image's own (or what `args` says).
        public var cmd: [String]?

        public init(
            name: String, image: String, gpu: GPU, cloud: Cloud, dataCenterIds: [String]? = nil, mounts: Mounts? = nil,
            ports: [String]? = nil, env: [String: String]? = nil, disk: Int? = nil, startSsh: Bool? = nil, args: String? = nil,
            entrypoint: [String]? = nil, cmd: [String]? = nil
        ) {
            self.name = name
            self.image = image
            self.gpu = gpu
            self.cloud = cloud
            self.dataCenterIds = dataCenterIds
            self.mounts = mounts
            self.ports = ports
            self.env = env
            self.disk = disk
            self.startSsh = startSsh
            self.args = args
            self.entrypoint = entrypoint
            self.cmd = cmd
        }
    }

    /// `NetworkVolume`.
    public struct NetworkVolume: Codable, Sendable, Hashable {
        public var id: String
        public var name: String
        public var size: Int
        public var dataCenter: String
        public var type: String?
        /// Creates a network volume value.
        public init(id: String, name: String, size: Int, dataCenter: String, type: String? = nil) {
            self.id = id
            self.name = name
            self.size = size
            self.dataCenter = dataCenter
            self.type = type
        }
    }

    /// `DataCenterAvailability`: a GPU type's stock in one data center.
    public struct DataCenterAvailability: Codable, Sendable, Hashable {
        public var id: String
        public var name: String?
        public var availability: AvailabilityLevel
        /// Creates a data-center stock entry.
        public init(id: String, name: String? = nil, availability: AvailabilityLevel) {
            self.id = id
            self.name = name
            self.availability = availability
        }
    }

    /// `GpuType`, with availability when asked for with `include=AVAILABILITY&product=POD`.
    public struct GPUType: Codable, Sendable, Hashable {
        /// `price`: USD per hour for one GPU, per cloud.
        public struct Price: Codable, Sendable, Hashable {
            public var secure: Double
            public var community: Double
            /// Creates a price.
            public init(secure: Double, community: Double) {
                self.secure = secure
                self.community = community
            }
        }

        public var id: String
        public var name: String
        public var memory: Int
        public var secure: Bool
        public var community: Bool
        public var price: Price
        public var availability: AvailabilityLevel?
        public var dataCenters: [DataCenterAvailability]?

        /// Creates a GPU type value.
        public init(
            id: String, name: String, memory: Int, secure: Bool = true, community: Bool = true,
            price: Price = Price(secure: 0, community: 0), availability: AvailabilityLevel? = nil,
            dataCenters: [DataCenterAvailability]? = nil
        ) {
            self.id = id
            self.name = name
            self.memory = memory
            self.secure = secure
            self.community = community
            self.price = price
            self.availability = availability
            self.dataCenters = dataCenters
        }
    }

    /// `DataCenter` with `include=GPU_AVAILABILITY`.
    public struct DataCenter: Codable, Sendable, Hashable {
        /// `CatalogResourceAvailability`.
        public struct GPUAvailability: Codable, Sendable, Hashable {
            public var id: String
            public var availability: AvailabilityLevel
        }

        public var id: String
        public var name: String
        public var gpuAvailability: [GPUAvailability]?
    }

    /// `ErrorResponse`: an RFC 9457 problem document.
    public struct Problem: Codable, Sendable, Hashable {
        public var title: String?
        public var status: Int?
        public var detail: String?
        public var errors: [String]?
        public init(title: String? = nil, status: Int? = nil, detail: String? = nil, errors: [String]? = nil) {
            self.title = title
            self.status = status
            self.detail = detail
            self.errors = errors
        }
    }

    /// One Server-Sent Event of `GET /v2/pods/{id}/logs`: `{source, line, ts}`.
    public struct LogLine: Codable, Sendable, Hashable {
        public var source: String
        public var line: String
        public var ts: String
        /// Creates a log line.
        public init(source: String, line: String, ts: String) {
            self.source = source
            self.line = line
            self.ts = ts
        }
    }
}
