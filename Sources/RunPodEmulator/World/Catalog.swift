import Foundation

/// RunPod's two clouds, plus GraphQL's `ALL` (either, Secure first).
public enum CloudType: String, Codable, Sendable, CaseIterable {
    /// RunPod-owned data-center hardware; the only cloud network volumes work in.
    case secure = "SECURE"
    /// Community-hosted hardware.
    case community = "COMMUNITY"
    /// GraphQL only: place on either cloud, Secure first.
    case all = "ALL"
}

/// Catalog stock level, RunPod's `AvailabilityLevel`.
public enum AvailabilityLevel: String, Codable, Sendable, Comparable {
    /// Nothing free.
    case none = "NONE"
    /// One or two units free.
    case low = "LOW"
    /// Three to five units free.
    case medium = "MEDIUM"
    /// More than five units free.
    case high = "HIGH"

    /// The level a number of free GPUs reads as (0 → NONE, 1–2 LOW, 3–5 MEDIUM, more HIGH).
    public init(freeUnits: Int) {
        switch freeUnits {
        case ...0: self = .none
        case 1...2: self = .low
        case 3...5: self = .medium
        default: self = .high
        }
    }

    private var rank: Int {
        switch self {
        case .none: 0
        case .low: 1
        case .medium: 2
        case .high: 3
        }
    }

    /// Orders levels from NONE to HIGH.
    public static func < (lhs: AvailabilityLevel, rhs: AvailabilityLevel) -> Bool { lhs.rank < rhs.rank }
}

/// A GPU type as RunPod lists it (`id` is what pods are created with).
public struct GPUType: Codable, Sendable, Hashable {
    /// RunPod's GPU type id, e.g. `NVIDIA GeForce RTX 4090`.
    public var id: String
    /// Short display name, e.g. `RTX 4090`.
    public var displayName: String
    /// VRAM in GB.
    public var memoryGB: Int
    /// USD per GPU per hour on Secure Cloud.
    public var securePrice: Double
    /// USD per GPU per hour on Community Cloud.
    public var communityPrice: Double
    /// Largest GPU count on one Secure Cloud machine.
    public var maxCountSecure: Int
    /// Largest GPU count on one Community Cloud machine.
    public var maxCountCommunity: Int
    /// Serverless pool id, if the GPU is in one.
    public var pool: String?
    /// `NVIDIA`, `AMD` or `UNKNOWN`.
    public var manufacturer: String
    /// vCPUs a pod gets per GPU.
    public var vcpuPerGPU: Int
    /// System RAM (GB) a pod gets per GPU.
    public var memoryPerGPUGB: Int

    /// Creates a GPU type.
    public init(
        id: String, displayName: String, memoryGB: Int, securePrice: Double, communityPrice: Double,
        maxCountSecure: Int = 8, maxCountCommunity: Int = 8, pool: String? = nil, manufacturer: String = "NVIDIA",
        vcpuPerGPU: Int = 8, memoryPerGPUGB: Int = 62
    ) {
        self.id = id
        self.displayName = displayName
        self.memoryGB = memoryGB
        self.securePrice = securePrice
        self.communityPrice = communityPrice
        self.maxCountSecure = maxCountSecure
        self.maxCountCommunity = maxCountCommunity
        self.pool = pool
        self.manufacturer = manufacturer
        self.vcpuPerGPU = vcpuPerGPU
        self.memoryPerGPUGB = memoryPerGPUGB
    }

    enum CodingKeys: String, CodingKey {
        case id, displayName, memoryGB, securePrice, communityPrice, maxCountSecure, maxCountCommunity, pool, manufacturer
        case vcpuPerGPU, memoryPerGPUGB
    }

    /// Decodes; only `id`, `memoryGB` and `securePrice` are required.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let id = try c.decode(String.self, forKey: .id)
        let secure = try c.decode(Double.self, forKey: .securePrice)
        self.init(
            id: id, displayName: try c.decodeIfPresent(String.self, forKey: .displayName) ?? id,
            memoryGB: try c.decode(Int.self, forKey: .memoryGB), securePrice: secure,
            communityPrice: try c.decodeIfPresent(Double.self, forKey: .communityPrice) ?? secure,
            maxCountSecure: try c.decodeIfPresent(Int.self, forKey: .maxCountSecure) ?? 8,
            maxCountCommunity: try c.decodeIfPresent(Int.self, forKey: .maxCountCommunity) ?? 8,
            pool: try c.decodeIfPresent(String.self, forKey: .pool),
            manufacturer: try c.decodeIfPresent(String.self, forKey: .manufacturer) ?? "NVIDIA",
            vcpuPerGPU: try c.decodeIfPresent(Int.self, forKey: .vcpuPerGPU) ?? 8,
            memoryPerGPUGB: try c.decodeIfPresent(Int.self, forKey: .memoryPerGPUGB) ?? 62)
    }

    /// Price per GPU per hour in a cloud (`ALL` reads as Secure).
    public func price(in cloud: CloudType) -> Double {
        cloud == .community ? communityPrice : securePrice
    }

    /// Largest GPU count per pod in a cloud (`ALL` reads as the larger).
    public func maxCount(in cloud: CloudType) -> Int {
        switch cloud {
        case .secure: maxCountSecure
        case .community: maxCountCommunity
        case .all: max(maxCountSecure, maxCountCommunity)
        }
    }
}

/// A RunPod data center.
public struct DataCenter: Codable, Sendable, Hashable {
    /// RunPod's id, e.g. `EU-RO-1`.
    public var id: String
    /// Display name, e.g. `EU Romania 1`.
    public var name: String
    /// Continental region (`EUROPE`, `NORTH_AMERICA`, …).
    public var region: String
    /// ISO 3166-1 alpha-2 country code.
    public var countryCode: String
    /// Whether the data center supports global networking.
    public var globalNetwork: Bool
    /// Network volume tiers it supports.
    public var networkVolumeTypes: [String]
    /// Compliance certifications it holds.
    public var compliance: [String]

    /// Creates a data center.
    public init(
        id: String, name: String, region: String, countryCode: String, globalNetwork: Bool = true,
        networkVolumeTypes: [String] = ["STANDARD"], compliance: [String] = []
    ) {
        self.id = id
        self.name = name
        self.region = region
        self.countryCode = countryCode
        self.globalNetwork = globalNetwork
        self.networkVolumeTypes = networkVolumeTypes
        self.compliance = compliance
    }

    enum CodingKeys: String, CodingKey { case id, name, region, countryCode, globalNetwork, networkVolumeTypes, compliance }

    /// Decodes; only `id` is required.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let id = try c.decode(String.self, forKey: .id)
        self.init(
            id: id, name: try c.decodeIfPresent(String.self, forKey: .name) ?? id,
            region: try c.decodeIfPresent(String.self, forKey: .region) ?? "UNKNOWN",
            countryCode: try c.decodeIfPresent(String.self, forKey: .countryCode) ?? "US",
            globalNetwork: try c.decodeIfPresent(Bool.self, forKey: .globalNetwork) ?? true,
            networkVolumeTypes: try c.decodeIfPresent([String].self, forKey: .networkVolumeTypes) ?? ["STANDARD"],
            compliance: try c.decodeIfPresent([String].self, forKey: .compliance) ?? [])
    }
}

/// Free GPUs of one type in one data center and cloud.
public struct StockEntry: Codable, Sendable, Hashable {
    /// Data center id.
    public var dataCenterId: String
    /// GPU type id.
    public var gpuTypeId: String
    /// `SECURE` or `COMMUNITY`.
    public var cloud: CloudType
    /// Free GPUs (a pod with `gpuCount` n takes n).
    public var count: Int

    /// Creates a stock entry.
    public init(dataCenterId: String, gpuTypeId: String, cloud: CloudType = .secure, count: Int) {
        self.dataCenterId = dataCenterId
        self.gpuTypeId = gpuTypeId
        self.cloud = cloud
        self.count = count
    }

    enum CodingKeys: String, CodingKey { case dataCenterId, gpuTypeId, cloud, count }

    /// Decodes; `cloud` defaults to `SECURE`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dataCenterId = try c.decode(String.self, forKey: .dataCenterId)
        gpuTypeId = try c.decode(String.self, forKey: .gpuTypeId)
        cloud = try c.decodeIfPresent(CloudType.self, forKey: .cloud) ?? .secure
        count = try c.decode(Int.self, forKey: .count)
    }
}

/// A network volume: storage that lives in one data center.
public struct NetworkVolume: Codable, Sendable, Hashable {
    /// Volume id, e.g. `rp-vol-comfyui01`.
    public var id: String
    /// Human-readable name.
    public var name: String
    /// Size in GB.
    public var size: Int
    /// The data center it lives in (pods using it must run there).
    public var dataCenterId: String
    /// `STANDARD` or `HIGH_PERFORMANCE`.
    public var type: String

    /// Creates a network volume.
    public init(id: String, name: String, size: Int, dataCenterId: String, type: String = "STANDARD") {
        self.id = id
        self.name = name
        self.size = size
        self.dataCenterId = dataCenterId
        self.type = type
    }

    enum CodingKeys: String, CodingKey { case id, name, size, dataCenterId, type }

    /// Decodes; `type` defaults to `STANDARD`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id), name: try c.decode(String.self, forKey: .name),
            size: try c.decode(Int.self, forKey: .size), dataCenterId: try c.decode(String.self, forKey: .dataCenterId),
            type: try c.decodeIfPresent(String.self, forKey: .type) ?? "STANDARD")
    }
}

/// An API key the emulator accepts, and what it may do.
public struct APIKeySpec: Codable, Sendable, Hashable {
    /// The key itself (never logged).
    public var key: String
    /// A read-only key gets 403 on every mutation.
    public var readOnly: Bool
    /// GPU types this key may not create pods with (403, "cannot access the requested pool").
    public var forbiddenGpuTypeIds: [String]

    /// Creates a key spec.
    public init(key: String, readOnly: Bool = false, forbiddenGpuTypeIds: [String] = []) {
        self.key = key
        self.readOnly = readOnly
        self.forbiddenGpuTypeIds = forbiddenGpuTypeIds
    }

    enum CodingKeys: String, CodingKey { case key, readOnly, forbiddenGpuTypeIds }

    /// Decodes with defaults for the optional fields.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        readOnly = try c.decodeIfPresent(Bool.self, forKey: .readOnly) ?? false
        forbiddenGpuTypeIds = try c.decodeIfPresent([String].self, forKey: .forbiddenGpuTypeIds) ?? []
    }
}
