import Foundation
import PodLauncher
import RunPodEmulator
import TestSupport
import Testing

/// The built binary, run as a user would, against an in-process emulator it reaches through environment variables.
/// Needs `swift build` before `swift test` (CI does it).
@Suite("end to end: the runpod-launcher binary against the emulator")
struct EndToEndTests {
    static func environment(_ emulator: RunningEmulator, key: String? = nil) -> [String: String] {
        [
            "RUNPOD_API_BASE_URL": emulator.baseURL.absoluteString, "RUNPOD_API_KEY": key ?? emulator.apiKey,
            "RUNPOD_LAUNCHER_PROXY_URL": emulator.proxyURLTemplate,
        ]
    }

    @Test("launch --json prints the ready pod; status shows it; terminate removes it")
    func launchStatusTerminate() async throws {
        try await withEmulator { emulator in
            let environment = Self.environment(emulator)
            let launch = try await Binary.run(["launch", "--json", "--name", "e2e-launch"], environment: environment)
            #expect(launch.status == 0, "\(launch.stderr)")
            let pod = try jsonObject(launch.stdout)
            let id = try #require(pod["id"] as? String)
            #expect(pod["name"] as? String == "e2e-launch")
            #expect(pod["ready"] as? Bool == true)
            #expect(pod["status"] as? String == "RUNNING")
            #expect(pod["dataCenterId"] as? String == "EU-RO-1")
            #expect(pod["networkVolumeId"] as? String == Defaults.networkVolumeID)
            #expect((pod["urls"] as? [String: String])?["8188"]?.hasPrefix(emulator.baseURL.absoluteString) == true)
            #expect(launch.stderr.contains("created on"))
            #expect(launch.stderr.contains("Terminate it with: runpod-launcher terminate \(id)"))

            let status = try await Binary.run(["status", id], environment: environment)
            #expect(status.status == 0)
            #expect(status.stdout.contains(id))
            #expect(status.stdout.contains("RUNNING"))

            let terminate = try await Binary.run(["terminate", id], environment: environment)
            #expect(terminate.status == 0, "\(terminate.stderr)")
            #expect(terminate.stdout == "\(id)\n")
            #expect(await alivePods(emulator).isEmpty)

            let gone = try await Binary.run(["status", id], environment: environment)
            #expect(gone.status == 64)
        }
    }

    @Test("run gives COMMAND the pod ID, sends the documented create request, and terminates the pod")
    func runCommand() async throws {
        try await withEmulator { emulator in
            let run = try await Binary.run(["run", "--", "sh", "-c", "echo $RUNPOD_POD_ID; exit 3"], environment: Self.environment(emulator))
            #expect(run.status == 3, "\(run.stderr)")
            let state = await emulator.state()
            let pod = try #require(state.pods.first)
            #expect(run.stdout == "\(pod.id)\n")
            #expect(!pod.alive)
            #expect(state.pods.count == 1)
            #expect(pod.api == "rest")
            let request = pod.createRequest
            #expect(request["mounts"]?["network"]?.arrayValue?.first?["path"]?.stringValue == "/workspace")
            #expect(request["mounts"]?["network"]?.arrayValue?.first?["volumeId"]?.stringValue == Defaults.networkVolumeID)
            #expect(request["dataCenterIds"]?.arrayValue?.compactMap(\.stringValue) == ["EU-RO-1"])
            #expect(request["cloud"]?.stringValue == "SECURE")
            #expect(request["ports"]?.arrayValue?.compactMap(\.stringValue) == ["8188/http"])
        }
    }

    @Test("no capacity exits 75 with a message naming what was tried, and creates nothing")
    func noCapacity() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: "NVIDIA A40", dataCenterID: "EU-RO-1", count: 0)
            let result = try await Binary.run(["launch", "--gpu", "NVIDIA A40"], environment: Self.environment(emulator))
            #expect(result.status == 75, "\(result.stderr)")
            #expect(result.stderr.contains("No capacity"))
            #expect(result.stderr.contains("NVIDIA A40"))
            #expect(result.stdout.isEmpty)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("a bad key exits 77, says to check RUNPOD_API_KEY, and never prints the key", arguments: [false, true])
    func badKey(viaFlag: Bool) async throws {
        try await withEmulator { emulator in
            let secret = "rpa_WRONG_KEY_\(UUID().uuidString.prefix(8))"
            var environment = Self.environment(emulator, key: secret)
            var arguments = ["launch", "--json", "-vvv"]
            if viaFlag {
                environment["RUNPOD_API_KEY"] = nil
                arguments += ["--api-key", secret]
            }
            let result = try await Binary.run(arguments, environment: environment)
            #expect(result.status == 77, "\(result.stderr)")
            #expect(!result.allOutput.contains(secret), "the key leaked into the output")
            #expect(result.stderr.contains(viaFlag ? "--api-key" : "RUNPOD_API_KEY"))
            #expect((try jsonObject(result.stdout)["error"] as? [String: String])?["kind"] == "unauthorized")
            if viaFlag { #expect(result.stderr.contains("process list")) }
        }
    }

    @Test("an image that fails to start exits 70 and leaves no pod alive")
    func failingImage() async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, image: "example/broken:1"))
            let result = try await Binary.run(["launch", "--image", "example/broken:1", "--json"], environment: Self.environment(emulator))
            #expect(result.status == 70, "\(result.stderr)")
            #expect((try jsonObject(result.stdout)["error"] as? [String: String])?["kind"] == "podFailed")
            #expect(await emulator.state().pods.count == 1)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("a timeout exits 124 and leaves no pod alive")
    func timeout() async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .appNeverAnswers))
            let result = try await Binary.run(["launch", "--timeout", "0.5", "--json"], environment: Self.environment(emulator))
            #expect(result.status == 124, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            #expect((document["error"] as? [String: String])?["kind"] == "timedOut")
            #expect(document["podId"] == nil, "a terminated pod is not reported as one that may bill")
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("--keep-on-failure leaves the pod and the failure JSON names it")
    func keepOnFailure() async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            let result = try await Binary.run(["launch", "--timeout", "0.3", "--keep-on-failure", "--json"], environment: Self.environment(emulator))
            #expect(result.status == 124)
            let alive = await alivePods(emulator)
            #expect(alive.count == 1)
            #expect(try jsonObject(result.stdout)["podId"] as? String == alive.first?.id)
            #expect(result.stderr.contains("runpod-launcher terminate \(alive.first?.id ?? "?")"))
        }
    }

    @Test("SIGINT during the wait terminates the pod, confirms it gone, and exits 130", arguments: [["launch"], ["run", "--", "true"]])
    func interruptDuringWait(_ arguments: [String]) async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            let running = try Binary.start(arguments + ["--timeout", "60"], environment: Self.environment(emulator))
            let created = await eventually { await !emulator.state().pods.isEmpty }
            #expect(created)
            running.interrupt()
            let result = await running.result()
            #expect(result.status == 130, "\(result.stderr)")
            #expect(result.stderr.contains("terminated (confirmed gone)"))
            #expect(await emulator.state().pods.count == 1)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("gpus and volumes show the data center of the volume")
    func gpusAndVolumes() async throws {
        try await withEmulator { emulator in
            let environment = Self.environment(emulator)
            let volumes = try await Binary.run(["volumes", "--json"], environment: environment)
            #expect(volumes.status == 0)
            let list = try #require(try jsonObject(volumes.stdout)["volumes"] as? [[String: Any]])
            #expect(list.contains { $0["id"] as? String == Defaults.networkVolumeID && $0["dataCenterId"] as? String == "EU-RO-1" })
            let gpus = try await Binary.run(["gpus", "--network-volume", Defaults.networkVolumeID, "--json"], environment: environment)
            #expect(gpus.status == 0, "\(gpus.stderr)")
            let document = try jsonObject(gpus.stdout)
            #expect(document["dataCenterId"] as? String == "EU-RO-1")
            #expect((document["gpus"] as? [[String: Any]])?.isEmpty == false)
        }
    }

    @Test("demo runs the whole lifecycle with no key and exits 0")
    func demo() async throws {
        let result = try await Binary.run(["demo", "--time-scale", "0.005"], environment: [:])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("app answers"))
        #expect(result.stderr.contains("terminated (confirmed gone)"))
    }

    @Test("demo --service gets a ready pod from the service over HTTP, uses it, gives it back, and exits 0")
    func demoService() async throws {
        let result = try await Binary.run(["demo", "--service", "--time-scale", "0.005"], environment: [:])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("POST /v1/pods → 202"))
        #expect(result.stderr.contains("wait=ready → ready"))
        #expect(result.stderr.contains("→ HTTP 200"))
        #expect(result.stderr.contains("the launch is terminated"))
    }
}

/// `runpod-launcher emulator` as a subprocess, used by the launcher binary as the README says.
@Suite("end to end: the emulator command")
struct EmulatorCommandTests {
    @Test("emulator prints its export line with the key it accepts, serves launch --no-wait / wait / terminate, and stops on Ctrl-C with 0")
    func emulatorSubprocess() async throws {
        let emulator = try Binary.start(["emulator", "--port", "0", "--time-scale", "0.001", "--api-key", "rpa_TEST_ONLY_KEY"], environment: [:])
        let started = await eventually { emulator.stdoutSoFar.contains("\n") }
        #expect(started)
        let exportLine = emulator.stdoutSoFar.split(separator: "\n").first.map(String.init) ?? ""
        var environment: [String: String] = [:]
        for assignment in exportLine.dropFirst("export ".count).split(separator: " ") {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { environment[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "'")) }
        }
        #expect(environment["RUNPOD_API_KEY"] == "rpa_TEST_ONLY_KEY")
        #expect(environment["RUNPOD_LAUNCHER_PROXY_URL"]?.contains("{podId}") == true)

        let launch = try await Binary.run(["launch", "--no-wait"], environment: environment)
        #expect(launch.status == 0, "\(launch.stderr)")
        let id = launch.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!id.isEmpty)
        let wait = try await Binary.run(["wait", id, "--json"], environment: environment)
        #expect(wait.status == 0, "\(wait.stderr)")
        #expect(try jsonObject(wait.stdout)["ready"] as? Bool == true)
        let terminate = try await Binary.run(["terminate", id, "--json"], environment: environment)
        #expect(terminate.status == 0)
        #expect(try jsonObject(terminate.stdout)["terminated"] as? [String] == [id])
        let list = try await Binary.run(["list", "--json"], environment: environment)
        let pods = try jsonObject(list.stdout)["pods"] as? [[String: Any]] ?? []
        #expect(!pods.contains { $0["id"] as? String == id && $0["status"] as? String != "TERMINATED" })

        emulator.interrupt()
        let stopped = await emulator.result()
        #expect(stopped.status == 0, "\(stopped.stderr)")
    }
}
