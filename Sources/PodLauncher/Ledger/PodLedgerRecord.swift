import Foundation

/// One pod a launcher created, as the local ledger remembers it (`pods/<podID>.json`).
///
/// Written right after RunPod answers the create and before the launcher waits on the pod; removed once RunPod
/// confirms the pod gone. A record outliving its owner process means the pod may be left behind.
/// Never holds the API key: only the API host it was created through.
public struct PodLedgerRecord: Codable, Sendable, Hashable {
    /// The file format; readers ignore keys they do not know.
    public static let currentFormat = 1

    /// The format this record was written in.
    public var format: Int
    /// RunPod's pod ID.
    public var podID: String
    /// The pod's name.
    public var name: String
    /// When the launcher saw RunPod create the pod.
    public var createdAt: Date
    /// USD per hour when it was created.
    public var costPerHour: Double
    /// The launch's `RUNPOD_LAUNCHER_LAUNCH_ID`, when the launcher knew it.
    public var launchID: String?
    /// The process that created the pod and is responsible for terminating it.
    public var owner: LedgerProcess
    /// Host (and port) of the API the pod was created through, e.g. `api.runpod.io` (never the key).
    public var apiHost: String
    /// Set when the owner exited normally leaving the pod running on purpose (`launch` printed it, `--keep-on-failure`,
    /// or a cleanup the user interrupted and was told about). Nil while the owner runs, or if it died without a word.
    public var releasedAt: Date?

    /// Creates a record.
    public init(
        podID: String, name: String, createdAt: Date = Date(), costPerHour: Double, launchID: String? = nil,
        owner: LedgerProcess = .current, apiHost: String, releasedAt: Date? = nil
    ) {
        self.format = Self.currentFormat
        self.podID = podID
        self.name = name
        self.createdAt = createdAt
        self.costPerHour = costPerHour
        self.launchID = launchID
        self.owner = owner
        self.apiHost = apiHost
        self.releasedAt = releasedAt
    }

    private enum CodingKeys: String, CodingKey {
        case format
        case podID = "podId"
        case name, createdAt
        case costPerHour = "costPerHr"
        case launchID = "launchId"
        case owner, apiHost, releasedAt
    }

    /// The API host key of `url`: `host` or `host:port` (loopback emulators differ only by port).
    public static func apiHost(of url: URL) -> String {
        let host = url.host ?? url.absoluteString
        return url.port.map { "\(host):\($0)" } ?? host
    }
}
