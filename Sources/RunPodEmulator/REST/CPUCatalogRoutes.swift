import Foundation
import Hummingbird

/// REST v2 CPU catalog: listCpuTypes and getCpuType. The flavors are RunPod's; the emulator has no CPU machines, so
/// with `include=AVAILABILITY&product=…` every flavor is NONE and its `dataCenters` is left out ("omitted entirely when
/// the flavor is unavailable everywhere").
func addCPUCatalogRoutes(to rest: RESTRouter) {
    rest.on(.get, "/v2/catalog/cpus", "listCpuTypes") { call in
        switch CPUCatalogQuery.parse(call.query) {
        case .failure(let reply): return reply
        case .success(let withAvailability): return .json(["cpus": CPUFlavor.catalog.map { CPUTypeView($0, withAvailability: withAvailability) }])
        }
    }

    rest.on(.get, "/v2/catalog/cpus/{id}", "getCpuType") { call in
        switch CPUCatalogQuery.parse(call.query) {
        case .failure(let reply): return reply
        case .success(let withAvailability):
            guard let flavor = CPUFlavor.catalog.first(where: { $0.id == call.parameter() }) else { return .notFound("CPU type") }
            return .json(CPUTypeView(flavor, withAvailability: withAvailability))
        }
    }
}

/// RunPod's CPU flavors.
struct CPUFlavor: Sendable {
    var id: String
    var name: String
    var group: String
    var minVCPU: Int
    var maxVCPU: Int
    var ramPerVCPU: Double
    var securePerVCPU: Double
    var serverlessPerVCPU: Double

    static let catalog: [CPUFlavor] = [
        CPUFlavor(
            id: "cpu3c", name: "Compute-Optimized (3rd gen)", group: "cpu3", minVCPU: 2, maxVCPU: 32, ramPerVCPU: 2, securePerVCPU: 0.03,
            serverlessPerVCPU: 0.025),
        CPUFlavor(
            id: "cpu3g", name: "General Purpose (3rd gen)", group: "cpu3", minVCPU: 2, maxVCPU: 32, ramPerVCPU: 4, securePerVCPU: 0.04,
            serverlessPerVCPU: 0.035),
        CPUFlavor(
            id: "cpu5c", name: "Compute-Optimized (5th gen)", group: "cpu5", minVCPU: 2, maxVCPU: 32, ramPerVCPU: 2, securePerVCPU: 0.04,
            serverlessPerVCPU: 0.03),
        CPUFlavor(
            id: "cpu5g", name: "General Purpose (5th gen)", group: "cpu5", minVCPU: 2, maxVCPU: 32, ramPerVCPU: 4, securePerVCPU: 0.05,
            serverlessPerVCPU: 0.04),
    ]
}

/// REST v2 `CpuType`.
struct CPUTypeView: Encodable {
    struct Range: Encodable {
        var min: Int
        var max: Int
    }

    struct Price: Encodable {
        var securePerVcpu: Double
        var serverlessPerVcpu: Double
    }

    var id: String
    var name: String
    var group: String
    var vcpu: Range
    var ramGbPerVcpu: Double
    var price: Price
    var availability: String?

    init(_ flavor: CPUFlavor, withAvailability: Bool) {
        id = flavor.id
        name = flavor.name
        group = flavor.group
        vcpu = Range(min: flavor.minVCPU, max: flavor.maxVCPU)
        ramGbPerVcpu = flavor.ramPerVCPU
        price = Price(securePerVcpu: flavor.securePerVCPU, serverlessPerVcpu: flavor.serverlessPerVCPU)
        availability = withAvailability ? AvailabilityLevel.none.rawValue : nil
    }
}

/// The CPU catalog's query: `include=AVAILABILITY` needs `product` (POD, SERVERLESS) and the reverse (400 either
/// way); `vcpuCount` is an integer ≥ 2, a power of two, valid only with availability.
enum CPUCatalogQuery {
    static func parse(_ parameters: Parameters) -> Result<Bool, Reply> {
        var errors: [String] = []
        let include = listParameter(parameters, "include") ?? []
        for value in include where value != "AVAILABILITY" { errors.append("query.include: value must be one of 'AVAILABILITY'") }
        let products = listParameter(parameters, "product")
        for value in products ?? [] where !["POD", "SERVERLESS"].contains(value) {
            errors.append("query.product: value must be one of 'POD', 'SERVERLESS'")
        }
        if let text = parameters.get("vcpuCount") {
            if let count = Int(text), count >= 2 {
                if count & (count - 1) != 0 { errors.append("query.vcpuCount: must be a power of two") }
            } else {
                errors.append("query.vcpuCount: must be an integer >= 2")
            }
        }
        guard errors.isEmpty else { return .failure(.validationFailed(errors)) }
        let withAvailability = include.contains("AVAILABILITY")
        if withAvailability && products == nil { return .failure(.problem(.badRequest, detail: "product is required with include=AVAILABILITY")) }
        if !withAvailability {
            for name in ["product", "vcpuCount"] where parameters.get(name) != nil {
                return .failure(.problem(.badRequest, detail: "\(name) is valid only with include=AVAILABILITY"))
            }
        }
        return .success(withAvailability)
    }
}
