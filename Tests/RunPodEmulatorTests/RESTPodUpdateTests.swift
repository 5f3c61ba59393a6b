import Foundation
import Testing

@testable import RunPodEmulator

@Suite("REST v2 updatePod (PATCH)")
struct RESTPodUpdateTests {
    struct MountCase: CustomTestStringConvertible, Sendable {
        let label: String
        let volume: Bool
        let mounts: String
        let status: Int
        var testDescription: String { label }
    }

    static let mountCases: [MountCase] = [
        MountCase(label: "{} leaves the mount", volume: true, mounts: "{}", status: 200),
        MountCase(
            label: "a new path for the same volume", volume: true, mounts: #"{"network":[{"volumeId":"rp-vol-comfyui01","path":"/data"}]}"#,
            status: 200),
        MountCase(label: "network: [] cannot clear it", volume: true, mounts: #"{"network":[]}"#, status: 400),
        MountCase(label: "another volumeId", volume: true, mounts: #"{"network":[{"volumeId":"rp-vol-datasets02","path":"/w"}]}"#, status: 400),
        MountCase(label: "a kind not present at create", volume: true, mounts: #"{"persistent":{"size":20,"path":"/p"}}"#, status: 400),
        MountCase(
            label: "any mount on a mountless pod", volume: false, mounts: #"{"network":[{"volumeId":"rp-vol-comfyui01","path":"/w"}]}"#, status: 400),
        MountCase(label: "a partial entry", volume: true, mounts: #"{"network":[{"path":"/w"}]}"#, status: 422),
    ]

    @Test("PATCH follows RunPod's mount rules", arguments: mountCases)
    func mounts(_ testCase: MountCase) async throws {
        try await withEmulator { emulator in
            let (_, id) = try await emulator.createPod(launcherCreateBody(volume: testCase.volume ? "rp-vol-comfyui01" : nil))
            let answer = try await emulator.call(.PATCH, "/v2/pods/\(id)", body: #"{"mounts":\#(testCase.mounts)}"#)
            #expect(answer.status == testCase.status, "\(answer.text)")
            if testCase.status == 200 && testCase.volume {
                #expect(answer.json["mounts"]?["network"]?.arrayValue?.first?["volumeId"] == "rp-vol-comfyui01")
            }
        }
    }

    @Test("only the fields sent change; a new image restarts the container with a fresh pull")
    func partialUpdate() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let (_, id) = try await emulator.createPod()
            clock.advance(by: .seconds(120))
            #expect(try await emulator.getPod(id).json["status"] == "RUNNING")
            let renamed = try await emulator.call(.PATCH, "/v2/pods/\(id)", body: #"{"name":"renamed"}"#)
            #expect(renamed.status == 200)
            #expect(renamed.json["name"] == "renamed")
            #expect(renamed.json["status"] == "RUNNING")
            #expect(renamed.json["env"] == ["COMFY_MODE": "api"])
            let reimaged = try await emulator.call(.PATCH, "/v2/pods/\(id)", body: #"{"image":"other:2","cmd":["serve"]}"#)
            #expect(reimaged.json["status"] == "PROVISIONING")
            #expect(reimaged.json["image"] == "other:2")
            #expect(reimaged.json["cmd"] == ["serve"])
            #expect(reimaged.json["args"] == #"{"entrypoint":[],"cmd":["serve"]}"#)
        }
    }

    @Test("a locked pod cannot be stopped until unlocked")
    func locked() async throws {
        try await withEmulator { emulator in
            let (_, id) = try await emulator.createPod()
            let lock = try await emulator.call(.PATCH, "/v2/pods/\(id)", body: #"{"locked":true}"#)
            #expect(lock.json["locked"] == true)
            #expect(lock.json["actions"] == ["terminate"])
            #expect(try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action":"stop"}"#).status == 409)
            _ = try await emulator.call(.PATCH, "/v2/pods/\(id)", body: #"{"locked":false}"#)
            #expect(try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action":"stop"}"#).status == 200)
        }
    }

    @Test("a field UpdatePodRequest lacks is 422; an unknown pod is 404")
    func contract() async throws {
        try await withEmulator { emulator in
            let (_, id) = try await emulator.createPod()
            let gpu = try await emulator.call(.PATCH, "/v2/pods/\(id)", body: #"{"gpu":{"id":"NVIDIA A40"}}"#)
            #expect(gpu.status == 422)
            #expect(gpu.errors.contains("$: additional properties 'gpu' not allowed"))
            #expect(try await emulator.call(.PATCH, "/v2/pods/nope", body: #"{"name":"x"}"#).status == 404)
        }
    }
}
