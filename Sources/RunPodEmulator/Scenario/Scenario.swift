import Foundation

/// Everything that makes one emulated RunPod differ from another: the world, its timings, its failures and faults.
///
/// Loaded from JSON (`Scenario.load(contentsOf:)`); every field is optional in the file and defaults to the demo
/// world's value, so `{"balance": 0}` is a complete scenario.
public struct Scenario: Codable, Sendable, Hashable {
    /// Seed for every random choice (pod ids, probabilistic faults), so runs repeat.
    public var seed: UInt64
    /// Data centers.
    public var dataCenters: [DataCenter]
    /// GPU types.
    public var gpuTypes: [GPUType]
    /// Free GPUs per data center, GPU type and cloud.
    public var stock: [StockEntry]
    /// Network volumes of the account.
    public var networkVolumes: [NetworkVolume]
    /// Keys accepted besides `EmulatorOptions.apiKeys`, and restrictions on any key.
    public var apiKeys: [APIKeySpec]
    /// Account balance in USD; a create needs at least one hour of the pod's price.
    public var balance: Double
    /// How long pods take to start.
    public var timings: PodTimings
    /// Pods that go wrong.
    public var podFailures: [PodFailureRule]
    /// Faults injected into requests.
    public var faults: [FaultRule]
    /// Requests per minute per key on REST; nil means no limit (the headers still report a generous quota).
    public var rateLimitPerMinute: Int?
    /// The account's registered SSH public keys (`startSsh` injects them as `PUBLIC_KEY`).
    public var sshKeys: [String]
    /// The public template catalog (`GET /v2/catalog/templates`), each with its `catalogSource`.
    public var publicTemplates: [PodTemplate]

    /// Creates a scenario; every parameter defaults to the demo world.
    public init(
        seed: UInt64 = 42, dataCenters: [DataCenter] = DemoWorld.dataCenters, gpuTypes: [GPUType] = DemoWorld.gpuTypes,
        stock: [StockEntry] = DemoWorld.stock, networkVolumes: [NetworkVolume] = DemoWorld.networkVolumes,
        apiKeys: [APIKeySpec] = [], balance: Double = 250, timings: PodTimings = PodTimings(),
        podFailures: [PodFailureRule] = [], faults: [FaultRule] = [], rateLimitPerMinute: Int? = nil,
        sshKeys: [String] = [DemoSSHKey.publicKey], publicTemplates: [PodTemplate] = DemoWorld.publicTemplates
    ) {
        self.seed = seed
        self.dataCenters = dataCenters
        self.gpuTypes = gpuTypes
        self.stock = stock
        self.networkVolumes = networkVolumes
        self.apiKeys = apiKeys
        self.balance = balance
        self.timings = timings
        self.podFailures = podFailures
        self.faults = faults
        self.rateLimitPerMinute = rateLimitPerMinute
        self.sshKeys = sshKeys
        self.publicTemplates = publicTemplates
    }

    /// The demo world: five data centers, seven GPU types, the launcher's default volume `rp-vol-comfyui01` in
    /// `EU-RO-1` with every GPU type in Secure stock there.
    public static var `default`: Scenario { Scenario() }

    /// Reads a scenario from a JSON file.
    public static func load(contentsOf url: URL) throws -> Scenario {
        try JSONDecoder().decode(Scenario.self, from: Data(contentsOf: url))
    }

    enum CodingKeys: String, CodingKey {
        case seed, dataCenters, gpuTypes, stock, networkVolumes, apiKeys, balance, timings, podFailures, faults, rateLimitPerMinute
        case sshKeys, publicTemplates
    }

    /// Decodes, defaulting any missing field to the demo world's.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Scenario()
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        dataCenters = try c.decodeIfPresent([DataCenter].self, forKey: .dataCenters) ?? d.dataCenters
        gpuTypes = try c.decodeIfPresent([GPUType].self, forKey: .gpuTypes) ?? d.gpuTypes
        stock = try c.decodeIfPresent([StockEntry].self, forKey: .stock) ?? d.stock
        networkVolumes = try c.decodeIfPresent([NetworkVolume].self, forKey: .networkVolumes) ?? d.networkVolumes
        apiKeys = try c.decodeIfPresent([APIKeySpec].self, forKey: .apiKeys) ?? d.apiKeys
        balance = try c.decodeIfPresent(Double.self, forKey: .balance) ?? d.balance
        timings = try c.decodeIfPresent(PodTimings.self, forKey: .timings) ?? d.timings
        podFailures = try c.decodeIfPresent([PodFailureRule].self, forKey: .podFailures) ?? d.podFailures
        faults = try c.decodeIfPresent([FaultRule].self, forKey: .faults) ?? d.faults
        rateLimitPerMinute = try c.decodeIfPresent(Int.self, forKey: .rateLimitPerMinute) ?? d.rateLimitPerMinute
        sshKeys = try c.decodeIfPresent([String].self, forKey: .sshKeys) ?? d.sshKeys
        publicTemplates = try c.decodeIfPresent([PodTemplate].self, forKey: .publicTemplates) ?? d.publicTemplates
    }
}
