import Foundation
import Testing

@testable import RunPodEmulator

@Suite("REST v2 account: SSH keys, templates, registries")
struct RESTAccountTests {
    static let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestTestTestTestTestTestTestTestTestTest me@example.com"

    @Test("startSsh injects the registered keys as PUBLIC_KEY, which env answers never show")
    func publicKeyInjected() async throws {
        try await withEmulator { emulator in
            let put = try await emulator.call(.PUT, "/v2/account/ssh-keys", body: #"{"keys":["\#(Self.key)"]}"#)
            #expect(put.json["keys"] == [.string(Self.key)])
            #expect(try await emulator.call(.GET, "/v2/account/ssh-keys").json["keys"] == [.string(Self.key)])
            let (answer, id) = try await emulator.createPod(#"{"name":"s","image":"img","gpu":{"id":"NVIDIA A40"},"startSsh":true}"#)
            #expect(answer.json["env"] == [:])
            let injected = await emulator.pod(id: id)?.injectedEnv
            #expect(injected == [EnvVar(key: "PUBLIC_KEY", value: Self.key)])
        }
    }

    @Test("with no keys registered startSsh injects nothing")
    func noKeys() async throws {
        try await withEmulator { emulator in
            #expect(try await emulator.call(.PUT, "/v2/account/ssh-keys", body: #"{"keys":[]}"#).json["keys"] == [])
            let (_, id) = try await emulator.createPod(#"{"name":"s","image":"img","gpu":{"id":"NVIDIA A40"},"startSsh":true}"#)
            #expect(await emulator.pod(id: id)?.injectedEnv == [])
        }
    }

    @Test("a line that is not an OpenSSH public key is 422", arguments: ["not a key", "ssh-ed25519", "rsa AAAA x"])
    func badKey(line: String) async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.PUT, "/v2/account/ssh-keys", body: #"{"keys":["\#(line)"]}"#)
            #expect(answer.status == 422)
        }
    }

    @Test("catalog templates are readable by ID but cannot be changed or deleted (404)")
    func publicTemplates() async throws {
        try await withEmulator { emulator in
            let official = try await emulator.call(.GET, "/v2/catalog/templates")
            let ids = official.json["templates"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(ids.contains("runpod-torch-v280"))
            #expect(try await emulator.call(.GET, "/v2/templates/runpod-torch-v280").status == 200)
            #expect(try await emulator.call(.PATCH, "/v2/templates/runpod-torch-v280", body: #"{"name":"x"}"#).status == 404)
            #expect(try await emulator.call(.DELETE, "/v2/templates/runpod-torch-v280").status == 404)
            #expect(try await emulator.call(.GET, "/v2/templates").json["templates"] == [])
        }
    }

    @Test("a registry credential is write-only and cannot be deleted while a pod pulls with it")
    func registries() async throws {
        try await withEmulator { emulator in
            let created = try await emulator.call(.POST, "/v2/registries", body: #"{"name":"hub","username":"u","password":"secret"}"#)
            #expect(created.status == 201)
            #expect(!created.text.contains("secret"))
            let id = created.json["id"]?.stringValue ?? ""
            let (pod, podID) = try await emulator.createPod(#"{"name":"p","image":"private/img","gpu":{"id":"NVIDIA A40"},"registry":"\#(id)"}"#)
            #expect(pod.json["registry"] == .string(id))
            #expect(try await emulator.call(.DELETE, "/v2/registries/\(id)").status == 400)
            #expect(try await emulator.call(.DELETE, "/v2/pods/\(podID)").status == 204)
            #expect(try await emulator.call(.DELETE, "/v2/registries/\(id)").status == 204)
        }
    }
}
