import Foundation
import PodLauncher
import RunPodEmulator
import TestSupport
import Testing

/// `launch`/`run` with profiles, limits, capacity waits and pod-side deadlines, and `profiles`, run in-process against
/// the emulator.
@Suite("launch and run: profiles, cost, limits, capacity")
struct SurfaceCommandTests {
    static func environment(_ emulator: RunningEmulator) throws -> [String: String] {
        [
            "RUNPOD_API_BASE_URL": emulator.baseURL.absoluteString, "RUNPOD_API_KEY": emulator.apiKey,
            "RUNPOD_LAUNCHER_PROXY_URL": emulator.proxyURLTemplate, "HOME": try temporaryDirectory().path,
        ]
    }

    static func profilesFile(_ text: String) throws -> String {
        let url = try temporaryDirectory().appendingPathComponent("profiles.toml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test("run --max-lifetime: COMMAND is stopped, the pod terminated, exit 124 saying which limit, time and cost")
    func runMaxLifetime() async throws {
        try await withEmulator { emulator in
            let started = ContinuousClock.now
            let result = try await runInProcess(
                ["run", "--gpu", "NVIDIA A40", "--max-lifetime", "500ms", "--", "sleep", "30"], environment: try Self.environment(emulator))
            #expect(result.status == 124, "\(result.stderr)")
            #expect(result.stderr.contains("reached its max lifetime of 500ms"), "\(result.stderr)")
            #expect(result.stderr.contains("so far at $0.400/h"))
            #expect(result.stderr.contains("was terminated"))
            #expect(ContinuousClock.now - started < .seconds(60))
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("run --max-cost: the cost limit exits 124 and names max cost")
    func runMaxCost() async throws {
        try await withEmulator { emulator in
            let result = try await runInProcess(
                ["run", "--gpu", "NVIDIA H100 80GB HBM3", "--max-cost", "0.0003", "--", "sleep", "30"], environment: try Self.environment(emulator))
            #expect(result.status == 124, "\(result.stderr)")
            #expect(result.stderr.contains("reached its max cost of $0.0003"), "\(result.stderr)")
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("run prints how long the pod ran and what it cost once it is terminated")
    func runPrintsCost() async throws {
        try await withEmulator { emulator in
            let result = try await runInProcess(["run", "--gpu", "NVIDIA A40", "--", "true"], environment: try Self.environment(emulator))
            #expect(result.status == 0, "\(result.stderr)")
            let pod = try #require(await emulator.state().pods.first)
            #expect(result.stderr.contains("done: pod \(pod.id) terminated; ran "), "\(result.stderr)")
            #expect(result.stderr.contains("at $0.400/h ≈ $"))
        }
    }

    @Test("terminate prints how long the pod ran and what it cost; --json carries it")
    func terminateCost() async throws {
        try await withEmulator { emulator in
            let environment = try Self.environment(emulator)
            let launch = try await runInProcess(["launch", "--gpu", "NVIDIA A40", "--no-wait"], environment: environment)
            let id = launch.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(launch.stderr.contains("$0.400/h"), "\(launch.stderr)")
            let result = try await runInProcess(["terminate", id, "--json"], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("pod \(id) ran "), "\(result.stderr)")
            #expect(result.stderr.contains("at $0.400/h ≈ $"))
            let costs = try #require(try jsonObject(result.stdout)["costs"] as? [String: [String: Double]])
            #expect(costs[id]?["costPerHr"] == 0.4)
            #expect((costs[id]?["ranSeconds"] ?? -1) >= 0)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("launch --use merges flags over the profile: flags win, --env adds to the profile's env")
    func profileMerge() async throws {
        let file = try Self.profilesFile(
            """
            [comfy]
            image = "example/comfy:1"
            gpus = ["NVIDIA A40"]
            ports = ["8188/http", "22/tcp"]
            container-disk = 77
            ready-path = "/system_stats"

            [comfy.env]
            A = "from-profile"
            B = "from-profile"
            """)
        try await withEmulator { emulator in
            let result = try await runInProcess(
                ["launch", "--use", "comfy", "--profiles", file, "--gpu", "NVIDIA L40S", "--env", "B=from-flag", "--json"],
                environment: try Self.environment(emulator))
            #expect(result.status == 0, "\(result.stderr)")
            let pod = try #require(await emulator.state().pods.first)
            let request = pod.createRequest
            #expect(request["image"] == .string("example/comfy:1"))
            #expect(request["gpu"]?["id"] == .string("NVIDIA L40S"))
            #expect(request["disk"] == .int(77))
            #expect(request["ports"] == .array([.string("8188/http"), .string("22/tcp")]))
            #expect(request["env"]?["A"] == .string("from-profile"))
            #expect(request["env"]?["B"] == .string("from-flag"))
            #expect(try jsonObject(result.stdout)["costPerHr"] as? Double == 0.86)
            _ = try await runInProcess(["terminate", pod.id], environment: try Self.environment(emulator))
        }
    }

    @Test(
        "a malformed profiles file exits 78 naming the line and the key",
        arguments: [
            ("[comfy]\nimage = \"x\"\ngpu = [\"NVIDIA A40\"]\n", "line 3, key 'comfy.gpu': unknown key. Did you mean 'gpus'?"),
            ("[comfy]\ngpu-count = \"two\"\n", "line 2, key 'comfy.gpu-count': expected an integer, got a string"),
        ])
    func malformedProfile(text: String, message: String) async throws {
        let file = try Self.profilesFile(text)
        let result = try await runInProcess(["launch", "--use", "comfy", "--profiles", file, "--json"], environment: ["RUNPOD_API_KEY": "k"])
        #expect(result.status == 78)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try jsonObject(result.stdout)["error"].flatMap { ($0 as? [String: Any])?["kind"] as? String } == "config")
    }

    @Test("an unknown profile name exits 78 and suggests the closest")
    func unknownProfile() async throws {
        let file = try Self.profilesFile("[comfyui]\nimage = \"x\"\n")
        let result = try await runInProcess(["run", "--use", "comfy", "--profiles", file, "--", "true"], environment: ["RUNPOD_API_KEY": "k"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("has no profile 'comfy'"))
        #expect(result.stderr.contains("Did you mean 'comfyui'?"))
    }

    @Test("profiles lists the file's profiles in file order, as text and JSON; XDG_CONFIG_HOME is honoured")
    func profilesCommand() async throws {
        let config = try temporaryDirectory()
        let directory = config.appendingPathComponent("runpod-launcher")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "[zeta]\nimage = \"z\"\n\n[alpha]\ngpus = [\"NVIDIA A40\"]\nmax-lifetime = \"2h\"\n"
            .write(to: directory.appendingPathComponent("profiles.toml"), atomically: true, encoding: .utf8)
        let environment = ["XDG_CONFIG_HOME": config.path]
        let text = try await runInProcess(["profiles"], environment: environment)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("zeta\n  image"))
        #expect(text.stdout.contains("alpha\n  gpus          NVIDIA A40\n  max-lifetime  2h"), "\(text.stdout)")
        let json = try await runInProcess(["profiles", "--json", "alpha"], environment: environment)
        let profiles = try #require(try jsonObject(json.stdout)["profiles"] as? [[String: Any]])
        #expect(profiles.count == 1)
        #expect(profiles.first?["maxLifetimeSeconds"] as? Double == 7200)

        let none = try await runInProcess(["profiles"], environment: ["HOME": try temporaryDirectory().path])
        #expect(none.status == 0)
        #expect(none.stderr.contains("no profiles file at"))
    }

    @Test("--wait-for-capacity that runs out exits 75 with what it waited for and how long")
    func capacityWaitRunsOut() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: "NVIDIA A40", dataCenterID: "EU-RO-1", count: 0)
            let result = try await runInProcess(
                ["launch", "--gpu", "NVIDIA A40", "--wait-for-capacity", "200ms"], environment: try Self.environment(emulator))
            #expect(result.status == 75, "\(result.stderr)")
            #expect(result.stderr.contains("No capacity in EU-RO-1 for: NVIDIA A40"), "\(result.stderr)")
            #expect(result.stderr.contains("Waited"))
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("launch --no-wait --pod-side-deadline sends the wrapper; --max-lifetime alone with --no-wait is refused")
    func podSideDeadlineFlags() async throws {
        try await withEmulator { emulator in
            let environment = try Self.environment(emulator)
            let refused = try await runInProcess(["launch", "--no-wait", "--max-lifetime", "2h"], environment: environment)
            #expect(refused.status == 64)
            #expect(refused.stderr.contains("needs --pod-side-deadline"))
            let noCommand = try await runInProcess(["launch", "--no-wait", "--max-lifetime", "2h", "--pod-side-deadline"], environment: environment)
            #expect(noCommand.status == 64)
            #expect(noCommand.stderr.contains("--start-command"))
            #expect(await emulator.state().pods.isEmpty)

            let result = try await runInProcess(
                ["launch", "--no-wait", "--max-lifetime", "2h", "--pod-side-deadline", "--start-command", "python main.py --listen"],
                environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("or its pod-side deadline, 2h after launch"))
            let pod = try #require(await emulator.state().pods.first)
            #expect(pod.createRequest["args"] == .string(PodSideDeadline.wrapper))
            #expect(pod.createRequest["env"]?[PodSideDeadline.startCommandKey] == .string("python main.py --listen"))
            _ = try await runInProcess(["terminate", pod.id], environment: environment)
        }
    }

    @Test("bad limit values are usage errors", arguments: [["--max-lifetime", "10x"], ["--max-cost", "-1"], ["--wait-for-capacity", "soon"]])
    func badLimitValues(arguments: [String]) async throws {
        let result = try await runInProcess(["launch"] + arguments, environment: ["RUNPOD_API_KEY": "k"])
        #expect(result.status == 64, "\(result.stderr)")
    }
}
