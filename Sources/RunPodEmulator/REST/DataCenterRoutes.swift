import Foundation
import Hummingbird

/// REST v2 data centers: listDataCenters (filtered by region, volume tiers, compliance, global networking) and
/// getDataCenter; `include=GPU_AVAILABILITY` adds each offered GPU's stock. The emulator has no CPU machines, so
/// `cpuAvailability` is always left out ("omitted entirely when the data center offers no CPU flavors").
func addDataCenterRoutes(to rest: RESTRouter) {
    let world = rest.core.world

    rest.on(.get, "/v2/catalog/datacenters", "listDataCenters") { call in
        let include: [String]
        switch DataCenterQuery.include(call.query) {
        case .failure(let reply): return reply
        case .success(let value): include = value
        }
        var errors: [String] = []
        let regions = DataCenterQuery.values(call.query, "regions", allowed: DataCenterQuery.regions, &errors).map(Set.init)
        let volumeTypes = DataCenterQuery.values(call.query, "networkVolumeTypes", allowed: ["STANDARD", "HIGH_PERFORMANCE"], &errors) ?? []
        let compliance = DataCenterQuery.values(call.query, "compliance", allowed: DataCenterQuery.compliance, &errors) ?? []
        var globalNetwork: Bool?
        if let text = call.query.get("globalNetwork") {
            if let value = Bool(text) { globalNetwork = value } else { errors.append("query.globalNetwork: expected boolean") }
        }
        guard errors.isEmpty else { return .validationFailed(errors) }
        let centers = world.dataCenters().filter { center in
            (regions?.contains(center.region) ?? true) && volumeTypes.allSatisfy(center.networkVolumeTypes.contains)
                && compliance.allSatisfy(center.compliance.contains) && (globalNetwork.map { $0 == center.globalNetwork } ?? true)
        }
        return .json(["dataCenters": centers.map { DataCenterView(center: $0, include: include, world: world) }])
    }

    rest.on(.get, "/v2/catalog/datacenters/{id}", "getDataCenter") { call in
        switch DataCenterQuery.include(call.query) {
        case .failure(let reply): return reply
        case .success(let include):
            guard let center = world.dataCenters().first(where: { $0.id == call.parameter() }) else { return .notFound("data center") }
            return .json(DataCenterView(center: center, include: include, world: world))
        }
    }
}

/// The query of the data-center routes.
enum DataCenterQuery {
    static let regions = ["NORTH_AMERICA", "SOUTH_AMERICA", "EUROPE", "ASIA", "MIDDLE_EAST", "AFRICA", "OCEANIA", "ANTARCTICA", "UNKNOWN"]
    static let compliance = [
        "GDPR", "ISO_IEC_27001", "ISO_14001", "PCI_DSS", "HITRUST", "SOC_1_TYPE_2", "SOC_2_TYPE_2", "SOC_3_TYPE_2", "ITAR", "FISMA_HIGH",
        "HIPAA", "RENEWABLE",
    ]

    static func include(_ parameters: Parameters) -> Result<[String], Reply> {
        var errors: [String] = []
        let include = values(parameters, "include", allowed: ["GPU_AVAILABILITY", "CPU_AVAILABILITY"], &errors) ?? []
        return errors.isEmpty ? .success(include) : .failure(.validationFailed(errors))
    }

    /// A comma-separated enum parameter; each unknown value is a violation.
    static func values(_ parameters: Parameters, _ name: String, allowed: [String], _ errors: inout [String]) -> [String]? {
        guard let values = listParameter(parameters, name) else { return nil }
        for value in values where !allowed.contains(value) {
            errors.append("query.\(name): value must be one of \(allowed.map { "'\($0)'" }.joined(separator: ", "))")
        }
        return values
    }
}

/// REST v2 `DataCenter`.
struct DataCenterView: Encodable {
    var id: String
    var name: String
    var region: String
    var globalNetwork: Bool
    var networkVolumeTypes: [String]
    var compliance: [String]
    var gpuAvailability: [AvailabilityView]?

    init(center: DataCenter, include: [String], world: World) {
        id = center.id
        name = center.name
        region = center.region
        globalNetwork = center.globalNetwork
        networkVolumeTypes = center.networkVolumeTypes
        compliance = center.compliance
        guard include.contains("GPU_AVAILABILITY") else { return }
        let offered = world.gpuTypes().filter { world.offers(gpuTypeID: $0.id, dataCenterID: center.id, cloud: .all) }.map { gpu in
            AvailabilityView(
                id: gpu.id, name: gpu.displayName, availability: world.availability(gpuTypeID: gpu.id, dataCenterID: center.id, cloud: .all).rawValue)
        }
        gpuAvailability = offered.isEmpty ? nil : offered
    }
}
