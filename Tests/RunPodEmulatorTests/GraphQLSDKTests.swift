import Foundation
import RunPodEmulator
import Testing

/// The GraphQL API answers the exact documents RunPod's Python SDK 1.12.0 sends the way RunPod does.
@Suite("GraphQL: RunPod's Python SDK queries")
struct GraphQLSDKTests {
    @Test("get_gpus lists every GPU type with the three fields the SDK asks for")
    func getGPUs() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.graphQL(SDKQueries.gpuTypes)
            #expect(answer.status == 200)
            let gpus = try #require(answer.data("gpuTypes")?.arrayValue)
            #expect(gpus.count == Scenario.default.gpuTypes.count)
            let first = try #require(gpus.first?.objectValue)
            #expect(Set(first.keys) == ["id", "displayName", "memoryInGb"])
            #expect(gpus.contains { $0["id"]?.stringValue == "NVIDIA GeForce RTX 4090" && $0["memoryInGb"]?.intValue == 24 })
        }
    }

    @Test("get_gpu filters by the spliced id and answers lowestPrice")
    func getGPU() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.graphQL(SDKQueries.gpu("NVIDIA GeForce RTX 4090"))
            #expect(answer.status == 200)
            let gpus = try #require(answer.data("gpuTypes")?.arrayValue)
            #expect(gpus.count == 1)
            let gpu = try #require(gpus.first)
            #expect(gpu["id"]?.stringValue == "NVIDIA GeForce RTX 4090")
            #expect(gpu["securePrice"] == .double(0.69))
            #expect(gpu["secureCloud"] == .bool(true))
            #expect(gpu["lowestPrice"]?["uninterruptablePrice"] == .double(0.34))  // cheapest cloud with stock
            #expect(gpu["lowestPrice"]?["minimumBidPrice"] != nil)
        }
    }

    @Test("an unknown GPU id is an empty list (the SDK turns it into ValueError)")
    func unknownGPU() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.graphQL(SDKQueries.gpu("NVIDIA Imaginary 9000"))
            #expect(answer.status == 200)
            #expect(answer.data("gpuTypes") == .array([]))
        }
    }

    @Test("myself lists the network volumes create_pod reads dataCenterId from")
    func myselfNetworkVolumes() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.graphQL(SDKQueries.myself)
            #expect(answer.status == 200)
            let volumes = try #require(answer.data("myself")?["networkVolumes"]?.arrayValue)
            let volume = try #require(volumes.first { $0["id"]?.stringValue == "rp-vol-comfyui01" })
            #expect(volume["dataCenterId"]?.stringValue == "EU-RO-1")
            #expect(volume["size"]?.intValue == 100)
            #expect(answer.data("myself")?["id"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("create_pod's mutation answers the SDK's fields: imageName, env as KEY=value, machine")
    func createPod() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.graphQL(SDKQueries.deploy())
            #expect(answer.status == 200)
            #expect(answer.json["errors"] == nil)
            let pod = try #require(answer.data("podFindAndDeployOnDemand"))
            #expect(pod["imageName"]?.stringValue == "bilunsun/comfyuiprod:pod-test-0")
            #expect(pod["env"] == .array([.string("COMFY=1"), .string("MODE=test")]))
            #expect(pod["machineId"]?.stringValue?.isEmpty == false)
            #expect(pod["machine"]?["podHostId"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("desiredStatus is RUNNING from the first second while runtime stays null until the container is up")
    func desiredStatusTrap() async throws {
        let (options, clock) = manualClockOptions()
        try await withEmulator(options) { emulator in
            let created = try await emulator.graphQL(SDKQueries.deploy())
            let id = try #require(created.data("podFindAndDeployOnDemand")?["id"]?.stringValue)

            let early = try #require(try await emulator.graphQL(SDKQueries.pod(id)).data("pod"))
            #expect(early["desiredStatus"]?.stringValue == "RUNNING")
            #expect(early["runtime"] == .null)
            #expect(await emulator.pod(id: id)?.status == .provisioning)

            clock.advance(by: .seconds(300))
            let late = try #require(try await emulator.graphQL(SDKQueries.pod(id)).data("pod"))
            #expect(late["desiredStatus"]?.stringValue == "RUNNING")
            let ports = try #require(late["runtime"]?["ports"]?.arrayValue)
            #expect(ports.contains { $0["privatePort"]?.intValue == 8188 && $0["type"]?.stringValue == "http" })
            #expect(ports.contains { $0["privatePort"]?.intValue == 22 && $0["type"]?.stringValue == "tcp" && $0["isIpPublic"] == .bool(true) })
            #expect(late["ports"]?.stringValue == "8188/http,22/tcp")
            #expect(late["volumeMountPath"]?.stringValue == "/workspace")
            #expect(late["machine"]?["gpuDisplayName"]?.stringValue == "RTX 4090")
            #expect((late["uptimeSeconds"]?.intValue ?? -1) > 0)
        }
    }

    @Test("get_pods lists live pods with the SDK's field set")
    func getPods() async throws {
        try await withEmulator { emulator in
            let created = try await emulator.graphQL(SDKQueries.deploy())
            let id = try #require(created.data("podFindAndDeployOnDemand")?["id"]?.stringValue)
            let answer = try await emulator.graphQL(SDKQueries.myPods)
            #expect(answer.status == 200)
            let pods = try #require(answer.data("myself")?["pods"]?.arrayValue)
            #expect(pods.map { $0["id"]?.stringValue } == [id])
            #expect(pods.first?["costPerHr"] == .double(0.69))
        }
    }

    @Test("stop_pod answers desiredStatus EXITED, resume_pod RUNNING")
    func stopAndResume() async throws {
        try await withEmulator { emulator in
            let created = try await emulator.graphQL(SDKQueries.deploy())
            let id = try #require(created.data("podFindAndDeployOnDemand")?["id"]?.stringValue)

            let stopped = try await emulator.graphQL(SDKQueries.stop(id))
            #expect(stopped.data("podStop") == .object(["id": .string(id), "desiredStatus": .string("EXITED")]))
            #expect(await emulator.pod(id: id)?.status == .exited)

            let resumed = try await emulator.graphQL(SDKQueries.resume(id))
            #expect(resumed.data("podResume")?["desiredStatus"]?.stringValue == "RUNNING")
            #expect(resumed.data("podResume")?["id"]?.stringValue == id)
        }
    }

    @Test("podTerminate has no selection set; afterwards pod(...) is null")
    func terminate() async throws {
        try await withEmulator { emulator in
            let created = try await emulator.graphQL(SDKQueries.deploy())
            let id = try #require(created.data("podFindAndDeployOnDemand")?["id"]?.stringValue)

            let terminated = try await emulator.graphQL(SDKQueries.terminate(id))
            #expect(terminated.status == 200)
            #expect(terminated.json["errors"] == nil)
            #expect(terminated.data("podTerminate") == .null)

            #expect(try await emulator.graphQL(SDKQueries.pod(id)).data("pod") == .null)
            #expect(await emulator.pod(id: id)?.status == .terminated)
            let pods = try await emulator.graphQL(SDKQueries.myPods).data("myself")?["pods"]
            #expect(pods == .array([]))
        }
    }
}
