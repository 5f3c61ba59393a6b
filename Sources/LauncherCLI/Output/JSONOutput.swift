import Foundation
import PodLauncher
import RunPodAPI

/// A pod as `--json` prints it: `{id, name, gpuTypeId, gpuCount, dataCenterId, cloud, networkVolumeId, image, costPerHr,
/// status, ready, urls: {"8188": url}}`. Every key is always present (null when unknown) so scripts can rely on the shape.
public struct PodJSON: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var gpuTypeId: String?
    public var gpuCount: Int
    public var dataCenterId: String?
    public var cloud: String?
    public var networkVolumeId: String?
    public var image: String?
    public var costPerHr: Double
    /// vCPUs and system memory (GB) RunPod allocated to the pod, when it says (null otherwise).
    public var vcpuCount: Int?
    public var memoryGB: Int?
    public var status: String
    /// True once the app answers; false while not ready; null when not checked (`status`, `list`).
    public var ready: Bool?
    /// The URL of each HTTP port, keyed by container port.
    public var urls: [String: String]

    public init(_ pod: Pod, ready: Bool?, urls: [Int: URL]) {
        id = pod.id
        name = pod.name
        gpuTypeId = pod.gpuTypeID
        gpuCount = pod.gpuCount
        dataCenterId = pod.dataCenterID
        cloud = pod.cloud?.rawValue
        networkVolumeId = pod.networkVolumeID
        image = pod.image
        costPerHr = pod.costPerHour
        vcpuCount = pod.vcpuCount
        memoryGB = pod.memoryGB
        status = pod.status.rawValue
        self.ready = ready
        self.urls = Dictionary(uniqueKeysWithValues: urls.map { (String($0.key), $0.value.absoluteString) })
    }

    /// A ready pod: `ready` true and its app URLs.
    public init(_ ready: ReadyPod) { self.init(ready.pod, ready: true, urls: ready.urls) }

    private enum CodingKeys: String, CodingKey {
        case id, name, gpuTypeId, gpuCount, dataCenterId, cloud, networkVolumeId, image, costPerHr, vcpuCount, memoryGB, status, ready, urls
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(gpuTypeId, forKey: .gpuTypeId)
        try container.encode(gpuCount, forKey: .gpuCount)
        try container.encode(dataCenterId, forKey: .dataCenterId)
        try container.encode(cloud, forKey: .cloud)
        try container.encode(networkVolumeId, forKey: .networkVolumeId)
        try container.encode(image, forKey: .image)
        try container.encode(costPerHr, forKey: .costPerHr)
        try container.encode(vcpuCount, forKey: .vcpuCount)
        try container.encode(memoryGB, forKey: .memoryGB)
        try container.encode(status, forKey: .status)
        try container.encode(ready, forKey: .ready)
        try container.encode(urls, forKey: .urls)
    }
}

/// What `--json` prints on failure: `{"error": {"kind", "message"}, "podId"?, "podIds"?}`. Both are there only when
/// a pod exists that may bill (kept with `--keep-on-failure`, a `wait` on someone else's pod, or a failed cleanup):
/// `podIds` lists every such pod (all a failed `launch --count N` left behind, in creation order), `podId` is the last
/// of them (one pod for a single launch; kept for scripts written before fleets).
public struct ErrorJSON: Codable, Sendable, Equatable {
    /// The failure.
    public struct Detail: Codable, Sendable, Equatable {
        public var kind: String
        public var message: String
    }

    public var error: Detail
    /// The last pod that may bill.
    public var podId: String?
    /// Every pod that may bill; nil (left out) when none does.
    public var podIds: [String]?

    /// A failure that left at most `podId` behind.
    public init(kind: String, message: String, podId: String?) {
        self.init(kind: kind, message: message, podIDs: podId.map { [$0] } ?? [])
    }

    /// A failure that left `podIDs` behind (none, one, or a fleet's).
    public init(kind: String, message: String, podIDs: [String]) {
        error = Detail(kind: kind, message: message)
        podId = podIDs.last
        podIds = podIDs.isEmpty ? nil : podIDs
    }
}

/// `launch --count N --json`: `{"pods": [PodJSON…], "requested": N, "failed": [{index, podId, kind, message}]}`.
/// `pods` lists every ready pod in launch order (the shape `list --json` uses); `failed` is empty unless --min-ready
/// let the launch succeed without some. A launch that fails prints `ErrorJSON` instead, whose `podIds` names every
/// pod it could not confirm terminated.
struct LaunchJSON: Codable, Sendable, Equatable {
    struct Failed: Codable, Sendable, Equatable {
        var index: Int
        var podId: String?
        var kind: String
        var message: String
    }

    var pods: [PodJSON]
    var requested: Int
    var failed: [Failed]

    init(pods: [PodJSON], requested: Int, failed: [Failed]) {
        self.pods = pods
        self.requested = requested
        self.failed = failed
    }

    init(_ launched: LaunchedPods, requested: Int) {
        pods = launched.pods.map(PodJSON.init)
        self.requested = requested
        failed = launched.failures.map { failure in
            let mapped = Failure.from(failure.error)
            return Failed(index: failure.index + 1, podId: failure.podID, kind: mapped.kind, message: failure.error.reasonDescription)
        }
    }
}

/// `terminate --json`: the pods confirmed gone and those that failed.
struct TerminateJSON: Codable, Sendable, Equatable {
    struct Failed: Codable, Sendable, Equatable {
        var id: String
        var kind: String
        var message: String
    }

    var terminated: [String]
    var failed: [Failed]
    /// What each terminated pod cost (an estimate, see `PodCost`), keyed by pod ID; left out when unknown.
    var costs: [String: CostJSON]? = nil
}

/// `list --json`.
struct PodListJSON: Codable, Sendable, Equatable {
    var pods: [PodJSON]
}

/// `gpus --json`: GPU types with price and availability, in one data center when one was chosen.
struct GPUListJSON: Codable, Sendable, Equatable {
    struct GPU: Codable, Sendable, Equatable {
        var id: String
        var name: String
        var memoryGB: Int
        var securePricePerHr: Double?
        var communityPricePerHr: Double?
        var availability: String
    }

    var dataCenterId: String?
    var networkVolumeId: String?
    var gpus: [GPU]
}

/// `volumes --json`.
struct VolumeListJSON: Codable, Sendable, Equatable {
    struct Volume: Codable, Sendable, Equatable {
        var id: String
        var name: String
        var sizeGB: Int
        var dataCenterId: String
    }

    var volumes: [Volume]
}

/// The one JSON encoder of the CLI: sorted keys so output is stable, slashes unescaped so URLs read well.
enum JSONOutput {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
            return #"{"error": {"kind": "internal", "message": "could not encode the output as JSON"}}"#
        }
        return text
    }
}
