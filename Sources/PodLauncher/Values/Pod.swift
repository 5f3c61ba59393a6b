import Foundation
import RunPodAPI

/// A pod the launcher created or looked up: what a user needs to know about it, as a value.
public struct Pod: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var gpuTypeID: String?
    public var gpuCount: Int
    public var dataCenterID: String?
    public var cloud: RunPod.Cloud?
    public var networkVolumeID: String?
    public var image: String?
    /// USD per hour, as RunPod bills it (0 once EXITED or TERMINATED).
    public var costPerHour: Double
    public var status: RunPod.PodStatus
    /// When RunPod created the pod (its `createdAt`): billing is counted from here (see `PodCost`).
    public var createdAt: Date?
    /// When the current container started (RunPod's `startedAt`; nil unless RUNNING).
    public var startedAt: Date?
    /// vCPUs RunPod allocated to the pod (all GPUs together), when it says.
    public var vcpuCount: Int?
    /// System memory RunPod allocated to the pod, in GB, when it says.
    public var memoryGB: Int?

    public init(
        id: String, name: String, gpuTypeID: String?, gpuCount: Int, dataCenterID: String?, cloud: RunPod.Cloud?,
        networkVolumeID: String?, image: String?, costPerHour: Double, status: RunPod.PodStatus, createdAt: Date? = nil,
        startedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.gpuTypeID = gpuTypeID
        self.gpuCount = gpuCount
        self.dataCenterID = dataCenterID
        self.cloud = cloud
        self.networkVolumeID = networkVolumeID
        self.image = image
        self.costPerHour = costPerHour
        self.status = status
        self.createdAt = createdAt
        self.startedAt = startedAt
    }

    /// The launcher's view of a RunPod v2 pod.
    public init(_ pod: RunPod.Pod) {
        self.init(
            id: pod.id, name: pod.name, gpuTypeID: pod.gpu?.id, gpuCount: pod.gpu?.count ?? 1, dataCenterID: pod.dataCenterId,
            cloud: pod.cloud, networkVolumeID: pod.mounts?.network?.first?.volumeId, image: pod.image, costPerHour: pod.cost ?? 0,
            status: pod.status, createdAt: Self.date(pod.createdAt), startedAt: Self.date(pod.startedAt))
        vcpuCount = pod.gpu?.vcpuCount
        memoryGB = pod.gpu?.memory
    }

    /// RunPod's timestamps are RFC 3339, with or without fractional seconds; nil when absent or unreadable.
    static func date(_ text: String?) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        return (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
    }
}

/// A pod that is really ready: RUNNING, its runtime ports published, and its app port answering.
public struct ReadyPod: Sendable, Hashable, Codable {
    public var pod: Pod
    /// The URL of each HTTP port, keyed by the container port (`8188` → `https://{id}-8188.proxy.runpod.net`).
    public var urls: [Int: URL]
    /// The `ssh` command RunPod publishes for the pod, direct first, when it has one.
    public var sshCommand: String?
    /// How long it took from the start of the wait until ready.
    public var readyAfter: Duration

    public init(pod: Pod, urls: [Int: URL], sshCommand: String?, readyAfter: Duration) {
        self.pod = pod
        self.urls = urls
        self.sshCommand = sshCommand
        self.readyAfter = readyAfter
    }
}
