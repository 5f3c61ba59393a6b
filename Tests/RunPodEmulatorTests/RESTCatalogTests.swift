import Foundation
import Testing

@testable import RunPodEmulator

@Suite("REST v2 catalog and network volumes")
struct RESTCatalogTests {
    @Test("catalog availability follows stock", arguments: [(0, "NONE"), (1, "LOW"), (2, "LOW"), (4, "MEDIUM"), (5, "MEDIUM"), (9, "HIGH")])
    func availabilityFollowsStock(stock: Int, level: String) async throws {
        var scenario = Scenario.default
        scenario.stock = [StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA L40S", count: stock)]
        try await withEmulator(EmulatorOptions(port: 0, scenario: scenario, timeScale: 0.001)) { emulator in
            let answer = try await emulator.call(.GET, "/v2/catalog/gpus?include=AVAILABILITY&product=POD&cloud=SECURE")
            #expect(answer.status == 200)
            let l40s = try #require(answer.json["gpus"]?.arrayValue?.first { $0["id"] == "NVIDIA L40S" })
            #expect(l40s["availability"] == .string(level))
            if stock == 0 {
                #expect(l40s["dataCenters"] == nil, "dataCenters is omitted when the configuration is unavailable everywhere")
            } else {
                #expect(l40s["dataCenters"] == [["id": "EU-RO-1", "name": "EU Romania 1", "availability": .string(level)]])
            }
        }
    }

    @Test("creating and terminating a pod moves the catalog's availability")
    func availabilityMovesWithPods() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: "NVIDIA A40", dataCenterID: "EU-RO-1", count: 1)
            func level() async throws -> JSONValue? {
                let answer = try await emulator.call(.GET, "/v2/catalog/datacenters?include=GPU_AVAILABILITY")
                let center = answer.json["dataCenters"]?.arrayValue?.first { $0["id"] == "EU-RO-1" }
                return center?["gpuAvailability"]?.arrayValue?.first { $0["id"] == "NVIDIA A40" }?["availability"]
            }
            #expect(try await level() == "LOW")
            let (_, id) = try await emulator.createPod(launcherCreateBody(gpu: "NVIDIA A40"))
            #expect(try await level() == "NONE")
            _ = try await emulator.call(.DELETE, "/v2/pods/\(id)")
            #expect(try await level() == "LOW")
        }
    }

    @Test("a count larger than the free GPUs reads as NONE")
    func countFilter() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.GET, "/v2/catalog/gpus?include=AVAILABILITY&product=POD&count=3")
            let h100 = try #require(answer.json["gpus"]?.arrayValue?.first { $0["id"] == "NVIDIA H100 80GB HBM3" })
            let centers = h100["dataCenters"]?.arrayValue ?? []
            #expect(centers.first { $0["id"] == "EU-RO-1" }?["availability"] == "NONE")
            #expect(centers.first { $0["id"] == "US-TX-3" }?["availability"] == "HIGH")
        }
    }

    @Test("include=AVAILABILITY without product is 400; product without include is 400; a bad enum is 422")
    func queryRules() async throws {
        try await withEmulator { emulator in
            #expect(try await emulator.call(.GET, "/v2/catalog/gpus?include=AVAILABILITY").status == 400)
            #expect(try await emulator.call(.GET, "/v2/catalog/gpus?product=POD").status == 400)
            #expect(try await emulator.call(.GET, "/v2/catalog/gpus?include=PRICES").status == 422)
            let plain = try await emulator.call(.GET, "/v2/catalog/gpus")
            let first = try #require(plain.json["gpus"]?.arrayValue?.first)
            #expect(first["availability"] == nil)
            #expect(first["price"]?["secure"] != nil)
        }
    }

    @Test("the H100 has no serverless pool, which the catalog writes as an explicit null")
    func nullablePool() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.GET, "/v2/catalog/gpus")
            #expect(answer.text.contains(#""name":"H100 SXM","pool":null"#))
        }
    }

    @Test("the default world has the launcher's volume in EU-RO-1, and an unknown volume is 404")
    func networkVolumes() async throws {
        try await withEmulator { emulator in
            let volume = try await emulator.call(.GET, "/v2/network-volumes/rp-vol-comfyui01")
            #expect(volume.json == ["id": "rp-vol-comfyui01", "name": "comfyui-models", "size": 100, "dataCenter": "EU-RO-1", "type": "STANDARD"])
            let list = try await emulator.call(.GET, "/v2/network-volumes")
            #expect(list.json["networkVolumes"]?.arrayValue?.count == 2)
            let missing = try await emulator.call(.GET, "/v2/network-volumes/rp-vol-nope")
            #expect(missing.status == 404)
            #expect(missing.contentType == "application/problem+json")
        }
    }

    @Test("every GPU type is in Secure stock in the default volume's data center")
    func defaultWorldStock() async throws {
        try await withEmulator { emulator in
            for gpu in DemoWorld.gpuTypes {
                #expect(await emulator.stock(gpuTypeID: gpu.id, dataCenterID: "EU-RO-1") > 0, "\(gpu.id)")
            }
        }
    }
}
