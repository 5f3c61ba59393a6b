import Foundation
import Testing

@testable import RunPodEmulator

@Suite("Pods that take time")
struct RESTLifecycleTests {
    @Test("PROVISIONING → STARTING → RUNNING with runtime, then the app port answers after the app delay")
    func startUp() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let (created, id) = try await emulator.createPod()
            #expect(created.json["status"] == "PROVISIONING")
            #expect(created.json["actions"] == ["stop", "terminate"])
            #expect(try await emulator.proxyGet(podID: id).status == 502)

            clock.advance(by: .seconds(44))
            #expect(try await emulator.getPod(id).json["status"] == "PROVISIONING")
            clock.advance(by: .seconds(1))
            let starting = try await emulator.getPod(id).json
            #expect(starting["status"] == "STARTING")
            #expect(starting["runtime"] == .null)
            #expect(starting["startedAt"] == .null)

            clock.advance(by: .seconds(15))
            let running = try await emulator.getPod(id).json
            #expect(running["status"] == "RUNNING")
            #expect(running["actions"] == ["stop", "restart", "terminate"])
            let ports = try #require(running["runtime"]?["ports"]?.arrayValue)
            #expect(ports.contains { $0["private"] == 8188 && $0["type"] == "http" })
            #expect(ports.contains { $0["private"] == 22 && $0["type"] == "tcp" && $0["public"]?.intValue != nil })
            #expect(running["startedAt"]?.stringValue != nil)
            #expect(running["ssh"]?["direct"]?["username"] == "root")
            #expect(try await emulator.proxyGet(podID: id).status == 502, "RUNNING is not ready: the app is still starting")

            clock.advance(by: .seconds(30))
            let stats = try await emulator.proxyGet(podID: id)
            #expect(stats.status == 200)
            #expect(stats.json["system"]?["comfyui_version"] != nil)
            #expect(stats.json["devices"]?.arrayValue?.first?["name"] == "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync")
            let index = try await emulator.proxyGet(podID: id, path: "/")
            #expect(index.status == 200 && index.contentType.hasPrefix("text/html"))
            #expect(try await emulator.getPod(id).json["runtime"]?["uptime"] == 30)
        }
    }

    @Test("a create at real pace with a small time scale is ready within milliseconds")
    func timeScale() async throws {
        try await withEmulator(EmulatorOptions(port: 0, timeScale: 0.0005)) { emulator in
            let (_, id) = try await emulator.createPod()
            var answer = try await emulator.proxyGet(podID: id)
            for _ in 0..<200 where answer.status != 200 {
                try await Task.sleep(for: .milliseconds(5))
                answer = try await emulator.proxyGet(podID: id)
            }
            #expect(answer.status == 200)
        }
    }

    @Test("the proxy answers 404 for a pod that does not exist")
    func proxyUnknownPod() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.proxyGet(podID: "nosuchpod00000")
            #expect(answer.status == 404)
        }
    }

    @Test("an image that cannot be pulled puts the pod in ERROR and the log says why")
    func imagePullFails() async throws {
        var scenario = Scenario.default
        scenario.podFailures = [PodFailureRule(mode: .imagePullFails, times: 1)]
        let (options, clock) = steppedEmulator(scenario)
        try await withEmulator(options) { emulator in
            let (_, id) = try await emulator.createPod()
            clock.advance(by: .seconds(45))
            let pod = try await emulator.getPod(id).json
            #expect(pod["status"] == "ERROR")
            #expect(pod["actions"] == ["start", "terminate"])
            #expect(pod["cost"] == 0)
            let record = try #require(await emulator.pod(id: id))
            #expect(record.logs.contains { $0.source == "system" && $0.line.contains("pull access denied") })
            let (_, second) = try await emulator.createPod()
            clock.advance(by: .seconds(45))
            #expect(try await emulator.getPod(second).json["status"] == "STARTING", "times: 1 fails only the next pod")
        }
    }

    @Test("a pod that never leaves PROVISIONING stays there")
    func stuckProvisioning() async throws {
        var scenario = Scenario.default
        scenario.podFailures = [PodFailureRule(mode: .stuckProvisioning)]
        let (options, clock) = steppedEmulator(scenario)
        try await withEmulator(options) { emulator in
            let (_, id) = try await emulator.createPod()
            clock.advance(by: .seconds(3600))
            let pod = try await emulator.getPod(id).json
            #expect(pod["status"] == "PROVISIONING")
            #expect(pod["runtime"] == .null)
        }
    }

    @Test("an app that never answers keeps the proxy at 502 while the pod is RUNNING")
    func appNeverAnswers() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .appNeverAnswers, image: "bilunsun/comfyuiprod:pod-test-0"))
            let (_, id) = try await emulator.createPod()
            clock.advance(by: .seconds(3600))
            #expect(try await emulator.getPod(id).json["status"] == "RUNNING")
            #expect(try await emulator.proxyGet(podID: id).status == 502)
        }
    }

    @Test("a machine that goes away under a running pod leaves it EXITED, not billing, with a log line")
    func machineLost() async throws {
        var scenario = Scenario.default
        scenario.podFailures = [PodFailureRule(mode: .machineLost)]
        scenario.timings.machineLostAfterSeconds = 10
        let (options, clock) = steppedEmulator(scenario)
        try await withEmulator(options) { emulator in
            let (_, id) = try await emulator.createPod()
            clock.advance(by: .seconds(90))
            #expect(try await emulator.proxyGet(podID: id).status == 200)
            #expect(try await emulator.getPod(id).json["cost"] == .double(0.69))
            clock.advance(by: .seconds(10))
            let pod = try await emulator.getPod(id).json
            #expect(pod["status"] == "EXITED")
            #expect(pod["cost"] == 0)
            #expect(pod["runtime"] == .null)
            #expect(try await emulator.proxyGet(podID: id).status == 502)
            #expect(await emulator.pod(id: id)?.logs.last?.line.contains("no longer reachable") == true)
            #expect(await emulator.stock(gpuTypeID: "NVIDIA GeForce RTX 4090", dataCenterID: "EU-RO-1") == 12)
        }
    }

    @Test("a test can take the machine away at any moment")
    func loseMachineNow() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let (_, id) = try await emulator.createPod()
            clock.advance(by: .seconds(60))
            try await emulator.loseMachine(podID: id)
            #expect(try await emulator.getPod(id).json["status"] == "EXITED")
        }
    }
}
