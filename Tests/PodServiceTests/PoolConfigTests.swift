import Foundation
import PodLauncher
import Testing

@testable import PodService

/// `[pools.NAME]` in profiles.toml: read next to the launch profiles, every key checked.
@Suite struct PoolConfigTests {
    static let file = """
        [comfyui]
        gpus = ["NVIDIA GeForce RTX 4090"]

        [pools.comfy]
        profile = "comfyui"
        min = 1
        max = 4
        per-pod-concurrency = 2
        idle-timeout-seconds = 120
        scale-down-delay-seconds = 60
        activation-backlog = 1
        max-cost-per-hour = 2.5
        drain-timeout-seconds = 600
        drain-timeout-action = "terminate"
        source = { kind = "push" }

        [pools.small]
        max = 1
        """

    @Test func poolsAreReadWithEveryKeyAndTheProfilesAreUntouched() throws {
        let pools = try PoolConfig.parse(Self.file, path: "profiles.toml")
        #expect(pools.map(\.name) == ["comfy", "small"])
        let comfy = try #require(pools.first)
        #expect(comfy.profile == "comfyui" && comfy.min == 1 && comfy.max == 4 && comfy.perPodConcurrency == 2)
        #expect(comfy.idleTimeoutSeconds == 120 && comfy.scaleDownDelaySeconds == 60 && comfy.activationBacklog == 1)
        #expect(comfy.maxCostPerHour == 2.5 && comfy.drainTimeoutSeconds == 600 && comfy.drainTimeoutAction == .terminate)
        #expect(comfy.source.kind == .push)
        #expect(pools.last == PoolSettings(name: "small", max: 1))
        // The launch profiles parser leaves the pools alone: one profile, named comfyui.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pool-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("profiles.toml").path
        try Self.file.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try LaunchProfiles.load(path: path).profiles.map(\.name) == ["comfyui"])
    }

    @Test(arguments: [
        ("[pools.a]\nmin = 1", "max is required"),
        ("[pools.a]\nmax = 2\nmaxx = 3", "maxx is not a pool setting"),
        ("[pools.a]\nmax = 2\nmin = 3", "min must not be above max"),
        ("[pools.a]\nmax = 2\nmax-cost-per-hour = -1", "max-cost-per-hour must be a positive number"),
        ("[pools.a]\nmax = \"two\"", "max must be a whole number"),
        ("[pools.a]\nmax = 2\ndrain-timeout-action = \"kill\"", "drain-timeout-action must be"),
        ("pools = 3", "must be tables"),
    ])
    func mistakesNameThePoolAndTheKey(text: String, expected: String) {
        #expect {
            try PoolConfig.parse(text, path: "p.toml")
        } throws: { error in
            let description = "\(error)"
            return description.contains(expected) && description.hasPrefix("p.toml: ")
        }
    }
}
