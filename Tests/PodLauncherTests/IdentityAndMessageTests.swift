import Foundation
import PodLauncher
import RunPodAPI
import TestSupport
import Testing

@Suite("names, marks and messages")
struct IdentityAndMessageTests {
    @Test("generated names read like comfyui-brisk-otter-7f3a and are unique per launch")
    func generatedNames() {
        let names = (0..<50).map { _ in PodIdentity(spec: LaunchSpec()).name }
        #expect(names.allSatisfy { $0.wholeMatch(of: /comfyui-[a-z]+-[a-z]+-[0-9a-f]{4}/) != nil }, "\(names[0])")
        #expect(Set(names).count > 45)
        #expect(PodIdentity.generateName(image: "runpod/pytorch:2.4", suffix: "abcd").hasPrefix("pytorch-"))
    }

    @Test("the default API host is RunPod's")
    func defaultHost() {
        #expect(Defaults.apiBaseURL.absoluteString == "https://api.runpod.io")
    }

    @Test("a name the user gives is kept as it is")
    func userName() {
        #expect(PodIdentity(spec: LaunchSpec(name: "my pod")).name == "my pod")
    }

    @Test("pods are marked so list --mine can find them")
    func marks() {
        let identity = PodIdentity(spec: LaunchSpec())
        let mine = RunPod.Pod(id: "p", name: identity.name, status: .running, env: identity.marks)
        let other = RunPod.Pod(id: "q", name: "x", status: .running, env: ["A": "1"])
        #expect(PodIdentity.isLaunchedByThisTool(mine))
        #expect(!PodIdentity.isLaunchedByThisTool(other))
    }

    @Test(
        "an authentication error names where the key came from, never the key",
        arguments: [CredentialSource.flag, .environment(variable: "RUNPOD_API_KEY"), .configFile(path: "/h/.runpod/config.toml", profile: "work")])
    func unauthorizedMessage(source: CredentialSource) async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40], createScript: [.problem(401, "invalid api key")]), credentialSource: source)
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.createPod(spec(["NVIDIA A40"])) }
        #expect(error.description.hasPrefix("Authentication failed: RunPod rejected the API key from \(source) (401: invalid api key)."))
        #expect(!error.description.contains(unitKey))
    }

    @Test("timeouts and failures read as sentences")
    func messages() {
        #expect(
            LauncherError.timedOut(podID: "p1", after: .seconds(300), lastStatus: .running, waitingFor: "app port 8188").description
                == "Pod p1 was not ready after 300 s (last status RUNNING); still waiting for app port 8188.")
        #expect(LauncherError.podFailed(podID: "p1", status: .error, message: "").description == "Pod p1 failed to start: RunPod reports ERROR.")
        #expect(LauncherError.timedOut(podID: "p1", after: .milliseconds(1500), lastStatus: nil, waitingFor: "x").description.contains("1.5 s"))
        #expect(LauncherError.noCapacity(dataCenterID: "EU-RO-1", tried: [], available: []).description.contains("Nothing is available in EU-RO-1"))
    }
}
