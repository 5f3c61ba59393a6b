import Foundation
import RunPodAPI
import RunPodEmulator
import Testing

/// The wire models' fields newer than RunPod's 2026-08-18 document: the create filters and command, and the
/// allocation, command and cluster membership in answers.
@Suite("wire models: today's create contract and pod answers")
struct NewFieldsTests {
    @Test("nil filters and command fields are left out of a create body")
    func omittedWhenNil() throws {
        let request = RunPod.CreatePodRequest(name: "n", image: "i", gpu: .init(id: "NVIDIA A40", count: 1), cloud: .secure)
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(request)) as? [String: Any])
        #expect(object["entrypoint"] == nil && object["cmd"] == nil)
        #expect(Set((object["gpu"] as? [String: Any])?.keys ?? [:].keys) == ["id", "count"])
    }

    @Test("set filters and command fields are sent under RunPod's names")
    func sentWhenSet() throws {
        let request = RunPod.CreatePodRequest(
            name: "n", image: "i",
            gpu: .init(id: "NVIDIA A40", count: 2, minCudaVersion: "12.4", minRamPerGpu: 32, minVcpuCountPerGpu: 4), cloud: .secure,
            entrypoint: ["python"], cmd: ["main.py"])
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(request)) as? [String: Any])
        let gpu = try #require(object["gpu"] as? [String: Any])
        #expect(gpu["minCudaVersion"] as? String == "12.4")
        #expect(gpu["minRamPerGpu"] as? Int == 32)
        #expect(gpu["minVcpuCountPerGpu"] as? Int == 4)
        #expect(object["entrypoint"] as? [String] == ["python"])
        #expect(object["cmd"] as? [String] == ["main.py"])
    }

    @Test("a pod answer's allocation, command and cluster membership decode; older answers without them still decode")
    func decodes() throws {
        let body = #"""
            {"id":"p","name":"n","status":"RUNNING","gpu":{"id":"NVIDIA A40","count":2,"vcpuCount":18,"memory":100},
             "args":"{\"entrypoint\":[\"python\"],\"cmd\":[\"a.py\"]}","entrypoint":["python"],"cmd":["a.py"],
             "cluster":{"id":"c1","rank":0,"role":"SLURM_CONTROLLER","ip":"10.65.0.2"}}
            """#
        let pod = try JSONDecoder().decode(RunPod.Pod.self, from: Data(body.utf8))
        #expect(pod.gpu?.vcpuCount == 18)
        #expect(pod.gpu?.memory == 100)
        #expect(pod.entrypoint == ["python"] && pod.cmd == ["a.py"])
        #expect(pod.cluster == RunPod.PodCluster(id: "c1", rank: 0, role: "SLURM_CONTROLLER", ip: "10.65.0.2"))
        let old = try JSONDecoder().decode(RunPod.Pod.self, from: Data(#"{"id":"p","name":"n","status":"EXITED","gpu":{"id":"x"}}"#.utf8))
        #expect(old.gpu?.vcpuCount == nil && old.cluster == nil && old.cmd == nil)
    }

    @Test("the emulator accepts the client's filters and answers with what was allocated")
    func againstEmulator() async throws {
        try await withEmulator { emulator in
            let client = RunPodClient(baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey))
            let created = try await client.createPod(
                RunPod.CreatePodRequest(
                    name: "filters", image: "img",
                    gpu: .init(id: "NVIDIA A40", count: 2, minCudaVersion: "12.4", minRamPerGpu: 32, minVcpuCountPerGpu: 4),
                    cloud: .secure, entrypoint: ["python"], cmd: ["serve.py"]))
            #expect(created.gpu?.vcpuCount == 18)
            #expect(created.gpu?.memory == 100)
            #expect(created.cmd == ["serve.py"])
            try await client.deletePod(id: created.id)
        }
    }
}
