import Foundation
import PodLauncher
import RunPodEmulator
import Testing

@testable import LauncherCLI

@Suite("doctor: checks with fixes and an exit status")
struct DoctorCommandTests {
    /// The checks of a `doctor --json` run, by id.
    static func checks(_ result: CLIResult) throws -> [String: [String: Any]] {
        let report = try jsonObject(result.stdout)
        let checks = try #require(report["checks"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: checks.compactMap { check in (check["id"] as? String).map { ($0, check) } })
    }

    @Test("a good key, the default volume and GPUs in stock: every check passes, exit 0, the key shown masked at most")
    func healthy() async throws {
        try await withEmulator { emulator in
            await emulator.setRateLimit(perMinute: 60)
            let result = try await runInProcess(["doctor", "--json"], environment: try Observe.environment(emulator))
            #expect(result.status == 0, "\(result.stdout)")
            let checks = try Self.checks(result)
            #expect(checks.values.allSatisfy { $0["outcome"] as? String == "ok" }, "\(result.stdout)")
            #expect((checks["apiKey"]?["detail"] as? String)?.contains("$RUNPOD_API_KEY (rpa_…TION)") == true)
            #expect((checks["networkVolume"]?["detail"] as? String)?.contains("\(Defaults.networkVolumeID)") == true)
            #expect((checks["networkVolume"]?["detail"] as? String)?.contains("is in EU-RO-1") == true)
            #expect((checks["rateLimit"]?["detail"] as? String)?.contains("of 60 requests left") == true)
            #expect((checks["gpus"]?["detail"] as? String)?.hasPrefix("available in EU-RO-1 now:") == true)
            #expect(!result.allOutput.contains(emulator.apiKey))

            let text = try await runInProcess(["doctor"], environment: try Observe.environment(emulator))
            #expect(text.status == 0)
            #expect(text.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("ok ") })
            #expect(text.stderr.contains("all required checks pass"))
        }
    }

    @Test("a rejected key: exit 77, the fix says where to set a key, and the key is never printed")
    func badKey() async throws {
        try await withEmulator { emulator in
            let secret = "rpa_WRONG_\(UUID().uuidString)"
            let result = try await runInProcess(["doctor"], environment: try Observe.environment(emulator, key: secret))
            #expect(result.status == 77)
            #expect(!result.allOutput.contains(secret))
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(
                lines.contains { $0.hasPrefix("fail") && $0.contains("key accepted") && $0.contains("RunPod rejected the key from $RUNPOD_API_KEY") })
            #expect(lines.contains { $0.contains("fix:") && $0.contains("export RUNPOD_API_KEY") })
            #expect(lines.contains { $0.hasPrefix("skip") && $0.contains("network volume") })
        }
    }

    @Test("no key anywhere: exit 77 and the API checks are skipped")
    func noKey() async throws {
        try await withEmulator { emulator in
            var environment = try Observe.environment(emulator)
            environment["RUNPOD_API_KEY"] = nil
            let result = try await runInProcess(["doctor", "--json"], environment: environment)
            #expect(result.status == 77)
            let checks = try Self.checks(result)
            #expect(checks["apiKey"]?["outcome"] as? String == "fail")
            #expect(checks["api"]?["outcome"] as? String == "skip")
            #expect(try jsonObject(result.stdout)["exitCode"] as? Int == 77)
        }
    }

    @Test("a network volume that does not exist: exit 69, and the fix lists the account's volumes")
    func missingVolume() async throws {
        try await withEmulator { emulator in
            var environment = try Observe.environment(emulator)
            environment["RUNPOD_NETWORK_VOLUME_ID"] = "rp-vol-missing"
            let result = try await runInProcess(["doctor", "--json"], environment: environment)
            #expect(result.status == 69)
            let volume = try #require(try Self.checks(result)["networkVolume"])
            #expect(volume["outcome"] as? String == "fail")
            #expect((volume["detail"] as? String)?.contains("no network volume rp-vol-missing") == true)
            #expect((volume["detail"] as? String)?.contains("\(Defaults.networkVolumeID) (EU-RO-1)") == true)
            #expect((volume["fix"] as? String)?.contains("RUNPOD_NETWORK_VOLUME_ID") == true)
        }
    }

    @Test("none of the configured GPU types available in the volume's data center: exit 75 with what is available instead")
    func noGPUs() async throws {
        try await withEmulator { emulator in
            for gpu in ["NVIDIA A40", "NVIDIA L40S"] {
                for cloud in [RunPodEmulator.CloudType.secure, RunPodEmulator.CloudType.community] {
                    await emulator.setStock(gpuTypeID: gpu, dataCenterID: "EU-RO-1", cloud: cloud, count: 0)
                }
            }
            let result = try await runInProcess(
                ["doctor", "--json", "--gpu", "NVIDIA A40", "--gpu", "NVIDIA L40S"], environment: try Observe.environment(emulator))
            #expect(result.status == 75, "\(result.stdout)")
            let gpus = try #require(try Self.checks(result)["gpus"])
            #expect(gpus["outcome"] as? String == "fail")
            #expect((gpus["detail"] as? String)?.contains("none of the 2 configured GPU type(s) is available in EU-RO-1 now") == true)
            #expect((gpus["fix"] as? String)?.contains("--network-volume \(Defaults.networkVolumeID)") == true)
        }
    }

    @Test(
        "both ~/.runpod/config.toml shapes parse; a broken file fails with exit 64",
        arguments: [
            ("[default]\napi_key = \"KEY\"\n", "ok", "a key under [default] (runpod-python's shape)"),
            ("apikey = \"KEY\"\napiurl = \"https://api.runpod.io/graphql\"\n", "ok", "a top-level apikey (runpodctl's shape)"),
            ("[default\napi_key = \"KEY\"\n", "fail", "is not valid TOML"),
        ])
    func configShapes(file: String, outcome: String, detail: String) async throws {
        try await withEmulator { emulator in
            var environment = try Observe.environment(emulator)
            // A broken file fails even when the key comes from the environment: `--profile` would not work.
            if outcome == "ok" { environment["RUNPOD_API_KEY"] = nil }
            let home = try #require(environment["HOME"])
            let directory = URL(fileURLWithPath: home).appendingPathComponent(".runpod")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try file.replacingOccurrences(of: "KEY", with: emulator.apiKey).write(
                to: directory.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
            let result = try await runInProcess(["doctor", "--json"], environment: environment)
            let check = try #require(try Self.checks(result)["configFile"])
            #expect(check["outcome"] as? String == outcome)
            #expect((check["detail"] as? String)?.contains(detail) == true, "\(check)")
            #expect(result.status == (outcome == "ok" ? 0 : 64), "\(result.stdout)")
            #expect(!result.allOutput.contains(emulator.apiKey))
        }
    }
}
