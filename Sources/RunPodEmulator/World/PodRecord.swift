import Foundation

/// Which of RunPod's APIs a call came through.
public enum API: String, Codable, Sendable {
    /// REST v2 (`/v2/...`).
    case rest
    /// The legacy GraphQL API (`/graphql`).
    case graphql
}

/// A pod's lifecycle status, RunPod's REST v2 `PodStatus`.
public enum PodStatus: String, Codable, Sendable {
    /// Being allocated; the image is being pulled.
    case provisioning = "PROVISIONING"
    /// The container is starting.
    case starting = "STARTING"
    /// The container is up (the app inside may not answer yet).
    case running = "RUNNING"
    /// Stopped (by the user, or because its machine went away).
    case exited = "EXITED"
    /// Unrecoverable error (e.g. the image could not be pulled).
    case error = "ERROR"
    /// Permanently deleted.
    case terminated = "TERMINATED"

    /// The REST v2 `actions` valid in this status (RunPod's table).
    public var actions: [String] {
        switch self {
        case .running: ["stop", "restart", "terminate"]
        case .exited, .error: ["start", "terminate"]
        case .provisioning, .starting: ["stop", "terminate"]
        case .terminated: []
        }
    }
}

/// One environment variable, kept in the order the client sent it when the API preserves order.
public struct EnvVar: Codable, Sendable, Hashable {
    /// Variable name.
    public var key: String
    /// Variable value.
    public var value: String

    /// Creates an environment variable.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// What a client asked for, in API-neutral terms; both the REST and GraphQL handlers build one.
public struct PodCreation: Sendable, Hashable {
    /// Pod name.
    public var name: String
    /// Container image reference.
    public var image: String
    /// GPU type id, e.g. `NVIDIA GeForce RTX 4090`.
    public var gpuTypeID: String
    /// Number of GPUs (≥ 1).
    public var gpuCount: Int
    /// Requested cloud; `.all` (GraphQL) tries Secure then Community.
    public var cloud: CloudType
    /// Acceptable data centers; empty means any.
    public var dataCenterIDs: [String]
    /// Network volume to attach, if any.
    public var networkVolumeID: String?
    /// Where the volume mounts in the container.
    public var mountPath: String?
    /// Exposed ports like `8188/http`, `22/tcp`.
    public var ports: [String]
    /// Environment variables.
    public var env: [EnvVar]
    /// Container disk in GB.
    public var containerDiskGB: Int?
    /// Pod-local volume in GB (GraphQL `volumeInGb`).
    public var volumeGB: Int?
    /// Whether SSH was requested (injects `PUBLIC_KEY` from the account's registered keys).
    public var startSsh: Bool
    /// The stored start command (REST `args`, GraphQL `dockerArgs`); nil keeps the image's.
    public var args: String?
    /// Exec-form ENTRYPOINT override (REST `entrypoint`); empty keeps the image's.
    public var entrypoint: [String]
    /// Exec-form CMD (REST `cmd`); empty keeps the image's.
    public var cmd: [String]
    /// Container registry credential id for a private image.
    public var registry: String?
    /// Whether JupyterLab was requested (injects `JUPYTER_PASSWORD`).
    public var startJupyter: Bool
    /// Whether global networking is wanted (applied at create, and at the next start after a change).
    public var globalNetworking: Bool
    /// Placement filter: lowest acceptable host RAM per GPU, GB.
    public var minRAMPerGPU: Int?
    /// Placement filter: lowest acceptable vCPUs per GPU.
    public var minVCPUsPerGPU: Int?

    /// Creates a pod request. With `args` but no arrays, `entrypoint` and `cmd` are what `args` stands for.
    public init(
        name: String, image: String, gpuTypeID: String, gpuCount: Int = 1, cloud: CloudType = .secure,
        dataCenterIDs: [String] = [], networkVolumeID: String? = nil, mountPath: String? = nil, ports: [String] = [],
        env: [EnvVar] = [], containerDiskGB: Int? = nil, volumeGB: Int? = nil, startSsh: Bool = false, args: String? = nil,
        entrypoint: [String] = [], cmd: [String] = [], registry: String? = nil, startJupyter: Bool = false,
        globalNetworking: Bool = false, minRAMPerGPU: Int? = nil, minVCPUsPerGPU: Int? = nil
    ) {
        self.name = name
        self.image = image
        self.gpuTypeID = gpuTypeID
        self.gpuCount = gpuCount
        self.cloud = cloud
        self.dataCenterIDs = dataCenterIDs
        self.networkVolumeID = networkVolumeID
        self.mountPath = mountPath
        self.ports = ports
        self.env = env
        self.containerDiskGB = containerDiskGB
        self.volumeGB = volumeGB
        self.startSsh = startSsh
        self.args = args
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.registry = registry
        self.startJupyter = startJupyter
        self.globalNetworking = globalNetworking
        self.minRAMPerGPU = minRAMPerGPU
        self.minVCPUsPerGPU = minVCPUsPerGPU
        if let args, entrypoint.isEmpty, cmd.isEmpty, let parsed = ContainerCommand.parse(args: args) {
            self.entrypoint = parsed.entrypoint
            self.cmd = parsed.cmd
        }
    }

    /// The start command in all three spellings.
    public var command: ContainerCommand {
        get { ContainerCommand(args: args ?? "", entrypoint: entrypoint, cmd: cmd) }
        set {
            args = newValue.args.isEmpty ? nil : newValue.args
            entrypoint = newValue.entrypoint
            cmd = newValue.cmd
        }
    }
}

/// One log line of a pod, as RunPod's log stream reports it.
public struct LogLine: Codable, Sendable, Hashable {
    /// When it was written.
    public var ts: Date
    /// `container` (the app's stdout/stderr) or `system` (host lifecycle).
    public var source: String
    /// The text.
    public var line: String
    /// Position in the pod's log, to make SSE ids unique when timestamps tie.
    public var sequence: Int
}

/// A port as the running container exposes it.
public struct RuntimePort: Codable, Sendable, Hashable {
    /// Port inside the container.
    public var privatePort: Int
    /// Port reachable from outside (for `http`, the proxy serves the private port).
    public var publicPort: Int
    /// `http` or `tcp`.
    public var type: String
    /// Address that serves it.
    public var ip: String
    /// Whether `ip` is a public address (false for the HTTP proxy's internal address).
    public var isIpPublic: Bool
}

/// A pod as the world knows it: everything both APIs render, plus the inspection data.
public struct PodRecord: Sendable, Hashable {
    /// RunPod-style id: 14 lowercase alphanumerics.
    public var id: String
    /// Pod name.
    public var name: String
    /// What the client asked for.
    public var creation: PodCreation
    /// Current status (advanced from the clock before every read).
    public var status: PodStatus
    /// GraphQL's `desiredStatus`: `RUNNING` from the first second, `EXITED` once stopped, `TERMINATED` at the end.
    public var desiredStatus: String
    /// The cloud the pod was placed in (`SECURE` or `COMMUNITY`).
    public var cloud: CloudType
    /// The data center the pod was placed in.
    public var dataCenterID: String
    /// Machine id (RunPod's `machineId`).
    public var machineID: String
    /// Host id (RunPod's `machine.podHostId`).
    public var podHostID: String
    /// vCPUs allotted.
    public var vcpuCount: Int
    /// System RAM (GB) allotted.
    public var memoryGB: Int
    /// USD per hour for the whole pod while it holds its GPUs (price × count).
    public var pricePerHour: Double
    /// When the pod was created.
    public var createdAt: Date
    /// When the status last changed.
    public var lastStatusChange: Date
    /// When the current container became RUNNING; `nil` if it is not running.
    public var startedAt: Date?
    /// When the pod was terminated.
    public var terminatedAt: Date?
    /// Whether the app behind the HTTP ports answers (the proxy gives 502 until then).
    public var appReady: Bool
    /// When the app last began answering: its scheduled time, not when a read noticed it; nil if it never has.
    public var appReadyAt: Date? = nil
    /// Ports of the running container; empty unless RUNNING.
    public var runtimePorts: [RuntimePort]
    /// Which API created the pod.
    public var api: API
    /// The exact request body (REST) or operation inputs (GraphQL) the create received.
    public var rawRequest: JSONValue
    /// Log lines so far.
    public var logs: [LogLine]
    /// Why the pod is in ERROR/EXITED, if something went wrong.
    public var lastError: String?
    /// Locked pods cannot be stopped or restarted (REST `locked`, set by PATCH).
    public var locked = false
    /// Cluster membership, for pods a cluster created.
    public var cluster: ClusterMembership? = nil
    /// Variables the provisioner added to the container (`PUBLIC_KEY`, `JUPYTER_PASSWORD`); never in `env` answers.
    public var injectedEnv: [EnvVar] = []
    /// The pod's global-networking address while enabled.
    public var globalNetworkIP: String? = nil

    /// Cost per hour now: the price while the pod holds GPUs, 0 once EXITED or TERMINATED (RunPod's `cost`).
    public var costPerHour: Double {
        switch status {
        case .exited, .terminated, .error: 0
        default: pricePerHour
        }
    }

    /// Whether the pod still exists (not terminated).
    public var alive: Bool { status != .terminated }

    /// Seconds since the container started, when running.
    public func uptimeSeconds(now: Date) -> Int {
        guard status == .running, let startedAt else { return 0 }
        return max(0, Int(now.timeIntervalSince(startedAt)))
    }
}

/// Why the world refused an operation; each API maps it to its own error shape.
public enum WorldError: Error, Sendable, Equatable {
    /// No free GPUs of the type in any acceptable data center and cloud.
    case noCapacity
    /// Breaks a rule (REST 400); the message says which.
    case invalid(String)
    /// The account balance cannot pay for the pod.
    case insufficientBalance
    /// No such pod or volume.
    case notFound
    /// The key may not do this.
    case forbidden
    /// Not valid in the pod's current state (REST 409); the message says why.
    case conflict(String)
    /// A referenced resource other than the pod is unknown (REST 404); the message says which.
    case missing(String)
}

/// A pod's membership in a cluster (REST `PodCluster`).
public struct ClusterMembership: Sendable, Hashable {
    /// The cluster's id.
    public var clusterID: String
    /// Node rank; 0 is the entry node.
    public var rank: Int
    /// `SLURM_CONTROLLER`, `SLURM_COMPUTE`, `RAY_HEAD` or `RAY_WORKER`; nil for TRAINING and APPLICATION clusters.
    public var role: String?
    /// Address on the cluster's overlay network.
    public var ip: String
}

/// RunPod's no-capacity message, word for word (REST `detail`, GraphQL `errors[0].message`).
public let noCapacityMessage =
    "There are no longer any instances available with the requested specifications. Please refresh and try again."
