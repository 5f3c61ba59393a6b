import Foundation
import Hummingbird

/// REST v2 GPU catalog: listGpuTypes, getGpuType (IDs contain spaces, so they arrive percent-encoded).
func addCatalogRoutes(to rest: RESTRouter) {
    let world = rest.core.world

    rest.on(.get, "/v2/catalog/gpus", "listGpuTypes") { call in
        switch GPUCatalogQuery.parse(call.query) {
        case .failure(let reply): return reply
        case .success(let query):
            return .json(["gpus": world.gpuTypes().compactMap { query.view(of: $0, world: world, dropUnplaceable: true) }])
        }
    }

    rest.on(.get, "/v2/catalog/gpus/{id}", "getGpuType") { call in
        switch GPUCatalogQuery.parse(call.query) {
        case .failure(let reply): return reply
        case .success(let query):
            guard let gpu = world.gpuType(id: call.parameter()), let view = query.view(of: gpu, world: world, dropUnplaceable: false) else {
                return .notFound("GPU type")
            }
            return .json(view)
        }
    }
}

/// Comma-separated values of a query parameter (`style: form, explode: false`), also accepting repeats.
func listParameter(_ parameters: Parameters, _ name: String) -> [String]? {
    let values = parameters.getAll(name)
    guard !values.isEmpty else { return nil }
    return values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
}

/// The filters of `GET /v2/catalog/gpus`, validated as RunPod does: a bad value is 422; `product` without
/// `include=AVAILABILITY`, `include=AVAILABILITY` without `product`, or an availability-only filter without it is 400.
struct GPUCatalogQuery {
    var withAvailability = false
    var count = 1
    var cloud: CloudType = .secure
    var countries: Set<String>?
    var cudaVersions: [String]?
    var minCudaVersion: String?

    static func parse(_ parameters: Parameters) -> Result<GPUCatalogQuery, Reply> {
        var query = GPUCatalogQuery()
        var errors: [String] = []
        let include = listParameter(parameters, "include") ?? []
        for value in include where value != "AVAILABILITY" { errors.append("query.include: value must be one of 'AVAILABILITY'") }
        let products = listParameter(parameters, "product")
        for value in products ?? [] where !["POD", "CLUSTER", "SERVERLESS"].contains(value) {
            errors.append("query.product: value must be one of 'POD', 'CLUSTER', 'SERVERLESS'")
        }
        if let text = parameters.get("count") {
            if let count = Int(text), count >= 1 { query.count = count } else { errors.append("query.count: must be an integer >= 1") }
        }
        if let text = parameters.get("cloud") {
            if let cloud = CloudType(rawValue: text), cloud != .all {
                query.cloud = cloud
            } else {
                errors.append("query.cloud: value must be one of 'SECURE', 'COMMUNITY'")
            }
        }
        if let codes = listParameter(parameters, "countryCodes") {
            for code in codes where !(code.count == 2 && code.allSatisfy { $0.isASCII && $0.isUppercase }) {
                errors.append("query.countryCodes: '\(code)' does not match pattern '^[A-Z]{2}$'")
            }
            query.countries = Set(codes)
        }
        if let versions = listParameter(parameters, "cudaVersions") {
            for version in versions where !CreatePodValidation.isCudaVersion(version) {
                errors.append("query.cudaVersions: '\(version)' does not match pattern '^\\d+\\.\\d+$'")
            }
            query.cudaVersions = versions
        }
        if let minimum = parameters.get("minCudaVersion") {
            // Unlike the create body's field, a bare major is accepted here ("any release of 12").
            let parts = minimum.split(separator: ".", omittingEmptySubsequences: false)
            if !(1...2).contains(parts.count) || !parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) {
                errors.append("query.minCudaVersion: '\(minimum)' does not match pattern '^\\d+(\\.\\d+)?$'")
            }
            query.minCudaVersion = minimum
        }
        guard errors.isEmpty else { return .failure(.problem(.unprocessableContent, detail: "Request validation failed.", errors: errors)) }

        query.withAvailability = include.contains("AVAILABILITY")
        if query.withAvailability && products == nil {
            return .failure(.problem(.badRequest, detail: "product is required with include=AVAILABILITY"))
        }
        if !query.withAvailability {
            for name in ["product", "count", "cloud", "countryCodes", "cudaVersions", "minCudaVersion"] where parameters.get(name) != nil {
                return .failure(.problem(.badRequest, detail: "\(name) is valid only with include=AVAILABILITY"))
            }
        }
        if query.cudaVersions != nil && query.minCudaVersion != nil {
            return .failure(.problem(.badRequest, detail: "cudaVersions and minCudaVersion are mutually exclusive"))
        }
        return .success(query)
    }

    /// Whether the machines' CUDA version passes the CUDA filters.
    var admitsMachineCuda: Bool {
        let machine = CreatePodValidation.machineCudaVersion
        if let versions = cudaVersions { return versions.contains("\(machine.0).\(machine.1)") }
        if let minimum = minCudaVersion {
            let parts = minimum.split(separator: ".").compactMap { Int($0) }
            return (parts.first ?? 0, parts.count > 1 ? parts[1] : 0) <= machine
        }
        return true
    }

    /// The GPU type as the catalog lists it; nil when a country filter leaves it no data center (list endpoint only).
    func view(of gpu: GPUType, world: World, dropUnplaceable: Bool) -> GPUTypeView? {
        var view = GPUTypeView(gpu)
        guard withAvailability else { return view }
        let centers = world.dataCenters().filter { countries?.contains($0.countryCode) ?? true }
        let offering = centers.filter { world.offers(gpuTypeID: gpu.id, dataCenterID: $0.id, cloud: cloud) }
        if countries != nil && offering.isEmpty && dropUnplaceable { return nil }
        let levels = offering.map { center in
            (center, admitsMachineCuda ? world.availability(gpuTypeID: gpu.id, dataCenterID: center.id, cloud: cloud, count: count) : .none)
        }
        let overall = levels.map(\.1).max() ?? .none
        view.availability = overall.rawValue
        if overall != .none {
            view.dataCenters = levels.map { AvailabilityView(id: $0.0.id, name: $0.0.name, availability: $0.1.rawValue) }
        }
        if !offering.isEmpty {
            let machine = CreatePodValidation.machineCudaVersion
            view.cudaVersions = [CudaVersionView(version: "\(machine.0).\(machine.1)", available: overall != .none)]
        }
        return view
    }
}

/// REST v2 `GpuType`.
struct GPUTypeView: Encodable {
    struct Prices: Encodable {
        var secure: Double
        var community: Double
    }

    struct MaxCount: Encodable {
        var secure: Int
        var community: Int
    }

    var id: String
    var name: String
    var pool: String?
    var manufacturer: String
    var memory: Int
    var secure: Bool
    var community: Bool
    var price: Prices
    var maxCount: MaxCount
    var availability: String?
    var dataCenters: [AvailabilityView]?
    var cudaVersions: [CudaVersionView]?

    init(_ gpu: GPUType) {
        id = gpu.id
        name = gpu.displayName
        pool = gpu.pool
        manufacturer = gpu.manufacturer
        memory = gpu.memoryGB
        secure = gpu.maxCountSecure > 0
        community = gpu.maxCountCommunity > 0
        price = Prices(secure: gpu.securePrice, community: gpu.communityPrice)
        maxCount = MaxCount(secure: gpu.maxCountSecure, community: gpu.maxCountCommunity)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, pool, manufacturer, memory, secure, community, price, maxCount, availability, dataCenters, cudaVersions
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(pool, forKey: .pool)  // required and nullable: `null` when the GPU is in no serverless pool
        try c.encode(manufacturer, forKey: .manufacturer)
        try c.encode(memory, forKey: .memory)
        try c.encode(secure, forKey: .secure)
        try c.encode(community, forKey: .community)
        try c.encode(price, forKey: .price)
        try c.encode(maxCount, forKey: .maxCount)
        try c.encodeIfPresent(availability, forKey: .availability)
        try c.encodeIfPresent(dataCenters, forKey: .dataCenters)
        try c.encodeIfPresent(cudaVersions, forKey: .cudaVersions)
    }
}

/// `DataCenterAvailability` / `CatalogResourceAvailability`.
struct AvailabilityView: Encodable {
    var id: String
    var name: String
    var availability: String
}

/// `CudaVersionAvailability`.
struct CudaVersionView: Encodable {
    var version: String
    var available: Bool
}
