import Foundation
import Testing

@testable import RunPodEmulator

@Suite("REST v2 createPod rules")
struct RESTCreateRulesTests {
    struct ContractCase: CustomTestStringConvertible, Sendable {
        let label: String
        let body: String
        let error: String
        var testDescription: String { label }
    }

    static let contractCases: [ContractCase] = [
        ContractCase(label: "missing name", body: #"{"image":"x","gpu":{"id":"NVIDIA A40"}}"#, error: "$: missing property 'name'"),
        ContractCase(
            label: "unknown field", body: #"{"name":"a","image":"x","gpu":{"id":"NVIDIA A40"},"bogus":1}"#,
            error: "$: additional properties 'bogus' not allowed"),
        ContractCase(label: "wrong type", body: #"{"name":5,"image":"x","gpu":{"id":"NVIDIA A40"}}"#, error: "$.name: expected string, got integer"),
        ContractCase(
            label: "gpu.count below 1", body: #"{"name":"a","image":"x","gpu":{"id":"NVIDIA A40","count":0}}"#,
            error: "$.gpu.count: must be >= 1 but found 0"),
        ContractCase(
            label: "bad cloud", body: #"{"name":"a","image":"x","gpu":{"id":"NVIDIA A40"},"cloud":"ALL"}"#,
            error: "$.cloud: value must be one of 'SECURE', 'COMMUNITY'"),
        ContractCase(label: "missing image", body: #"{"name":"a","gpu":{"id":"NVIDIA A40"}}"#, error: "$: missing property 'image'"),
        ContractCase(
            label: "two network mounts",
            body:
                #"{"name":"a","image":"x","gpu":{"id":"NVIDIA A40"},"mounts":{"network":[{"volumeId":"rp-vol-comfyui01","path":"/w"},{"volumeId":"rp-vol-datasets02","path":"/d"}]}}"#,
            error: "$.mounts.network: maximum 1 items required, but found 2 items"),
    ]

    @Test("a body that breaks the contract gets 422 listing the violation, and creates nothing", arguments: contractCases)
    func contractViolation(_ testCase: ContractCase) async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.POST, "/v2/pods", body: testCase.body)
            #expect(answer.status == 422)
            #expect(answer.contentType == "application/problem+json")
            #expect(answer.errors.contains(testCase.error), "errors were \(answer.errors)")
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    struct RuleCase: CustomTestStringConvertible, Sendable {
        let label: String
        let body: String
        let detail: String
        var testDescription: String { label }
    }

    static let ruleCases: [RuleCase] = [
        RuleCase(
            label: "network volume on Community Cloud", body: launcherCreateBody(cloud: "COMMUNITY"),
            detail: "network volumes are only available on Secure Cloud; cloud must be SECURE"),
        RuleCase(
            label: "volume outside dataCenterIds", body: launcherCreateBody(dataCenters: ["US-KS-2"]),
            detail: "network volume 'rp-vol-comfyui01' is in data center EU-RO-1, which is not in dataCenterIds"),
        RuleCase(label: "unknown volume", body: launcherCreateBody(volume: "rp-vol-nope"), detail: "network volume 'rp-vol-nope' does not exist"),
        RuleCase(
            label: "gpu and cpu", body: #"{"name":"a","image":"x","gpu":{"id":"NVIDIA A40"},"cpu":{"id":"cpu5c","vcpuCount":4}}"#,
            detail: "exactly one of gpu or cpu must be set, not both"),
        RuleCase(
            label: "unknown GPU type", body: launcherCreateBody(gpu: "NVIDIA GeForce GTX 480"),
            detail: "GPU type 'NVIDIA GeForce GTX 480' does not exist"),
    ]

    @Test("a body that breaks a cross-field rule gets 400 saying which", arguments: ruleCases)
    func ruleViolation(_ testCase: RuleCase) async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.POST, "/v2/pods", body: testCase.body)
            #expect(answer.status == 400)
            #expect(answer.detail == testCase.detail)
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("a network volume pins the pod to the volume's data center on Secure Cloud")
    func volumePinsPlacement() async throws {
        try await withEmulator { emulator in
            let (answer, _) = try await emulator.createPod(launcherCreateBody())
            #expect(answer.status == 201)
            #expect(answer.json["dataCenterId"] == "EU-RO-1")
            #expect(answer.json["cloud"] == "SECURE")
            #expect(answer.json["status"] == "PROVISIONING")
            #expect(answer.json["runtime"] == .null)
            #expect(answer.json["mounts"] == ["network": [["volumeId": "rp-vol-comfyui01", "path": "/workspace"]]])
        }
    }

    @Test("without capacity the create gets RunPod's exact 400, and terminating a pod returns its GPUs to stock")
    func noCapacityAndStockReturn() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: "NVIDIA GeForce RTX 4090", dataCenterID: "EU-RO-1", count: 1)
            let (first, id) = try await emulator.createPod()
            #expect(first.status == 201)
            #expect(await emulator.stock(gpuTypeID: "NVIDIA GeForce RTX 4090", dataCenterID: "EU-RO-1") == 0)

            let refused = try await emulator.call(.POST, "/v2/pods", body: launcherCreateBody())
            #expect(refused.status == 400)
            #expect(refused.detail == "There are no longer any instances available with the requested specifications. Please refresh and try again.")

            #expect(try await emulator.call(.DELETE, "/v2/pods/\(id)").status == 204)
            #expect(await emulator.stock(gpuTypeID: "NVIDIA GeForce RTX 4090", dataCenterID: "EU-RO-1") == 1)
            #expect(try await emulator.call(.POST, "/v2/pods", body: launcherCreateBody()).status == 201)
        }
    }

    @Test("a multi-GPU pod takes as many GPUs as it asks for and costs price × count")
    func multiGPU() async throws {
        try await withEmulator { emulator in
            let (answer, _) = try await emulator.createPod(launcherCreateBody(gpu: "NVIDIA RTX A6000", count: 4))
            #expect(answer.status == 201)
            #expect(answer.json["cost"] == .double(1.96))
            // vcpuCount and memory are what was allocated in total: the demo A6000 gives 8 vCPUs and 50 GB per GPU.
            #expect(answer.json["gpu"] == ["id": "NVIDIA RTX A6000", "count": 4, "vcpuCount": 32, "memory": 200])
            #expect(await emulator.stock(gpuTypeID: "NVIDIA RTX A6000", dataCenterID: "EU-RO-1") == 2)
        }
    }

    @Test("an account without balance gets 402 and no pod")
    func insufficientBalance() async throws {
        try await withEmulator { emulator in
            await emulator.setBalance(0)
            let answer = try await emulator.call(.POST, "/v2/pods", body: launcherCreateBody())
            #expect(answer.status == 402)
            #expect(answer.contentType == "application/problem+json")
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("without a volume or preference the scheduler places on the cloud asked for")
    func communityPlacement() async throws {
        try await withEmulator { emulator in
            let (answer, _) = try await emulator.createPod(launcherCreateBody(volume: nil, cloud: "COMMUNITY"))
            #expect(answer.status == 201)
            #expect(answer.json["cloud"] == "COMMUNITY")
            #expect(answer.json["cost"] == .double(0.34))
        }
    }

    @Test("a body that is not JSON gets 400")
    func notJSON() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.POST, "/v2/pods", body: "{name:")
            #expect(answer.status == 400)
        }
    }
}
