import Foundation
import Testing

@testable import RunPodEmulator

@Suite("Scenarios and inspection")
struct ScenarioAndStateTests {
    @Test("a scenario file needs only what differs from the demo world")
    func partialScenarioFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        let json = """
            {"balance": 3.5, "timings": {"imagePullSeconds": 5},
             "podFailures": [{"mode": "imagePullFails", "image": "broken:latest", "times": 1}],
             "faults": [{"operation": "createPod", "kind": "rateLimited", "retryAfterSeconds": 2, "times": 1},
                        {"kind": "dropConnectionAfterApply", "probability": 0.1}],
             "stock": [{"dataCenterId": "EU-RO-1", "gpuTypeId": "NVIDIA A40", "count": 2}],
             "rateLimitPerMinute": 60}
            """
        try Data(json.utf8).write(to: url)
        let scenario = try Scenario.load(contentsOf: url)
        #expect(scenario.balance == 3.5)
        #expect(scenario.timings.imagePullSeconds == 5)
        #expect(scenario.timings.containerStartSeconds == 15)
        #expect(scenario.podFailures == [PodFailureRule(mode: .imagePullFails, image: "broken:latest", times: 1)])
        #expect(
            scenario.faults == [
                FaultRule(operation: "createPod", kind: .rateLimited(retryAfterSeconds: 2), times: 1),
                FaultRule(kind: .dropConnectionAfterApply, probability: 0.1),
            ])
        #expect(scenario.stock == [StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA A40", count: 2)])
        #expect(scenario.networkVolumes == DemoWorld.networkVolumes)
        #expect(scenario.rateLimitPerMinute == 60)
    }

    @Test("the default scenario is the demo world")
    func defaultScenario() {
        let scenario = Scenario.default
        #expect(scenario.networkVolumes.first == NetworkVolume(id: "rp-vol-comfyui01", name: "comfyui-models", size: 100, dataCenterId: "EU-RO-1"))
        #expect(Set(scenario.dataCenters.map(\.id)) == ["EU-RO-1", "US-KS-2", "CA-MTL-1", "US-TX-3", "EU-SE-1"])
        #expect(scenario.faults.isEmpty && scenario.podFailures.isEmpty)
    }

    @Test("GET /_emulator/state lists every pod with its exact create request, the volumes and calls per operation")
    func stateEndpoint() async throws {
        try await withEmulator { emulator in
            let body = launcherCreateBody(name: "inspect-me")
            let (_, id) = try await emulator.createPod(body)
            _ = try await emulator.getPod(id)
            _ = try await emulator.getPod(id)
            _ = try await emulator.call(.DELETE, "/v2/pods/\(id)")

            let answer = try await emulator.call(.GET, "/_emulator/state", auth: .none)
            #expect(answer.status == 200)
            let pod = try #require(answer.json["pods"]?.arrayValue?.first)
            #expect(pod["id"] == .string(id))
            #expect(pod["name"] == "inspect-me")
            #expect(pod["status"] == "TERMINATED")
            #expect(pod["alive"] == false)
            #expect(pod["api"] == "rest")
            #expect(pod["createRequest"] == JSONValue.parse(Data(body.utf8)))
            #expect(
                answer.json["networkVolumes"]?.arrayValue?.first == [
                    "id": "rp-vol-comfyui01", "name": "comfyui-models", "size": 100, "dataCenterId": "EU-RO-1",
                ])
            #expect(answer.json["calls"] == ["createPod": 1, "getPod": 2, "deletePod": 1])

            let state = await emulator.state()
            #expect(state.pods.map(\.id) == [id])
            #expect(state.calls["getPod"] == 2)
        }
    }
}
