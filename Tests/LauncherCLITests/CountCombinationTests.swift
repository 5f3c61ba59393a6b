import Foundation
import PodLauncher
import RunPodEmulator
import TestSupport
import Testing

/// `--count N` with every other launch flag, through the CLI against the emulator: the one engine takes each flag for
/// N pods as it does for one. Each test checks what a user relies on: the exit code, which pods are left, the JSON.
@Suite("launch and run --count N with every flag")
struct CountCombinationTests {
    static func environment(_ emulator: RunningEmulator) -> [String: String] { EndToEndTests.environment(emulator) }

    /// Every pod's ID in a `launch --count N --json` document.
    static func podIDs(_ document: [String: Any]) -> [String] {
        (document["pods"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test("--count 1 is the single launch: the same JSON shape, the name kept as given, the same messages")
    func countOneIsSingle() async throws {
        try await withEmulator { emulator in
            let plain = try await runInProcess(["launch", "--name", "solo", "--json"], environment: Self.environment(emulator))
            let counted = try await runInProcess(["launch", "--count", "1", "--name", "solo", "--json"], environment: Self.environment(emulator))
            #expect(plain.status == 0 && counted.status == 0, "\(plain.stderr)\n\(counted.stderr)")
            let single = try jsonObject(plain.stdout)
            let one = try jsonObject(counted.stdout)
            #expect(Set(one.keys) == Set(single.keys), "the document of one pod, not {pods, requested, failed}: \(counted.stdout)")
            #expect(one["name"] as? String == "solo", "no -1 suffix for one pod")
            let id = try #require(one["id"] as? String)
            #expect(counted.stderr.contains("Terminate it with: runpod-launcher terminate \(id)"), "\(counted.stderr)")
            _ = try await runInProcess(["terminate", id, try #require(single["id"] as? String)], environment: Self.environment(emulator))

            // The binary, so COMMAND's stdout is captured.
            let run = try await Binary.run(
                ["run", "--count", "1", "--", "sh", "-c", "echo \"$RUNPOD_POD_ID $RUNPOD_POD_COUNT\""], environment: Self.environment(emulator))
            #expect(run.status == 0, "\(run.stderr)")
            let ran = try #require(run.stdout.split(separator: " ").first.map(String.init))
            #expect(run.stdout == "\(ran) 1\n")
            #expect(run.stderr.contains("done: pod \(ran) terminated"), "\(run.stderr)")
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("--count 2 --use PROFILE: both pods get the profile's image, GPU and env; flags still win")
    func countWithProfile() async throws {
        let file = try SurfaceCommandTests.profilesFile(
            """
            [comfy]
            image = "example/comfy:1"
            gpus = ["NVIDIA A40"]
            container-disk = 77

            [comfy.env]
            A = "from-profile"
            B = "from-profile"
            """)
        try await withEmulator { emulator in
            let result = try await runInProcess(
                ["launch", "--count", "2", "--use", "comfy", "--profiles", file, "--name", "batch", "--env", "B=from-flag", "--json"],
                environment: Self.environment(emulator))
            #expect(result.status == 0, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            #expect(document["requested"] as? Int == 2)
            #expect((document["failed"] as? [Any])?.isEmpty == true)
            let ids = Self.podIDs(document)
            let pods = await emulator.state().pods
            #expect(Set(pods.map(\.id)) == Set(ids) && ids.count == 2)
            #expect(Set(pods.map(\.name)) == ["batch-1", "batch-2"])
            for pod in pods {
                #expect(pod.createRequest["image"] == .string("example/comfy:1"))
                #expect(pod.createRequest["gpu"]?["id"] == .string("NVIDIA A40"))
                #expect(pod.createRequest["disk"] == .int(77))
                #expect(pod.createRequest["env"]?["A"] == .string("from-profile"))
                #expect(pod.createRequest["env"]?["B"] == .string("from-flag"))
            }
            _ = try await runInProcess(["terminate"] + ids, environment: Self.environment(emulator))
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test(
        "run --count 2 with a limit: the first pod to cross it stops COMMAND and ends them all, exit 124 naming the limit",
        arguments: [
            (["--gpu", "NVIDIA A40", "--max-lifetime", "500ms"], "reached its max lifetime of 500ms"),
            (["--gpu", "NVIDIA H100 80GB HBM3", "--max-cost", "0.0003"], "reached its max cost of $0.0003"),
        ])
    func countWithLimit(flags: [String], named: String) async throws {
        try await withEmulator { emulator in
            let result = try await runInProcess(["run", "--count", "2"] + flags + ["--", "sleep", "30"], environment: Self.environment(emulator))
            #expect(result.status == 124, "\(result.stderr)")
            #expect(result.stderr.contains(named), "\(result.stderr)")
            #expect(await emulator.state().pods.count == 2)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("launch --count 2 --max-lifetime crossed while waiting: exit 124 --json limitExceeded, every pod terminated")
    func countWithMaxLifetimeWhileWaiting() async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            let result = try await runInProcess(
                ["launch", "--count", "2", "--max-lifetime", "300ms", "--timeout", "60", "--json"], environment: Self.environment(emulator))
            #expect(result.status == 124, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            #expect((document["error"] as? [String: Any])?["kind"] as? String == "limitExceeded")
            #expect(document["podIds"] == nil, "no pod left billing")
            #expect(await emulator.state().pods.count == 2)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("launch --count 2 --wait-for-capacity with no stock: exits 75 after waiting, nothing created")
    func countWithCapacityWaitRunsOut() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: "NVIDIA A40", dataCenterID: "EU-RO-1", count: 0)
            let result = try await runInProcess(
                ["launch", "--count", "2", "--gpu", "NVIDIA A40", "--wait-for-capacity", "200ms", "--json"], environment: Self.environment(emulator))
            #expect(result.status == 75, "\(result.stderr)")
            #expect(result.stderr.contains("No capacity in EU-RO-1 for: NVIDIA A40"), "\(result.stderr)")
            #expect(result.stderr.contains("Waited"), "\(result.stderr)")
            #expect((try jsonObject(result.stdout)["error"] as? [String: Any])?["kind"] as? String == "noCapacity")
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("launch --count 2 --wait-for-capacity with stock for one: 75 once the wait runs out, and the placed pod is terminated")
    func countWithCapacityForOnlyOne() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: "NVIDIA A40", dataCenterID: "EU-RO-1", count: 1)
            let result = try await runInProcess(
                ["launch", "--count", "2", "--gpu", "NVIDIA A40", "--wait-for-capacity", "300ms", "--json"], environment: Self.environment(emulator))
            #expect(result.status == 75, "\(result.stderr)")
            #expect(result.stderr.contains("Waited"), "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            #expect((document["error"] as? [String: Any])?["kind"] as? String == "noCapacity")
            #expect(document["podIds"] == nil, "no pod left billing")
            #expect(await emulator.state().pods.count == 1, "one pod placed, never a second create for it")
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("launch --count 3 --no-wait --json: three pods created and listed (not ready), named NAME-1…3, left running")
    func countWithNoWait() async throws {
        try await withEmulator { emulator in
            let result = try await runInProcess(
                ["launch", "--count", "3", "--no-wait", "--name", "batch", "--json"], environment: Self.environment(emulator))
            #expect(result.status == 0, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            #expect(document["requested"] as? Int == 3)
            #expect((document["failed"] as? [Any])?.isEmpty == true)
            let pods = try #require(document["pods"] as? [[String: Any]])
            #expect(pods.compactMap { $0["name"] as? String } == ["batch-1", "batch-2", "batch-3"])
            #expect(pods.allSatisfy { $0["ready"] as? Bool == false })
            let ids = Self.podIDs(document)
            #expect(Set(ids) == Set(await alivePods(emulator).map(\.id)) && ids.count == 3)
            for id in ids { #expect(result.stderr.contains("it bills until `runpod-launcher terminate \(id)`"), "\(result.stderr)") }

            let text = try await runInProcess(["launch", "--count", "2", "--no-wait"], environment: Self.environment(emulator))
            #expect(text.status == 0, "\(text.stderr)")
            let printed = text.stdout.split(separator: "\n").map(String.init)
            #expect(printed.count == 2, "one ID a line: \(text.stdout)")
            _ = try await runInProcess(["terminate"] + ids + printed, environment: Self.environment(emulator))
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("launch --count 2 --keep-on-failure: the pod that did not become ready is kept and named; the ready one is terminated")
    func countWithKeepOnFailure() async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning, namePrefix: "batch-2"))
            // Long enough for batch-1 to be read RUNNING and probed (the first read is 2 s in).
            let result = try await runInProcess(
                ["launch", "--count", "2", "--name", "batch", "--timeout", "4", "--keep-on-failure", "--json"],
                environment: Self.environment(emulator))
            #expect(result.status == 124, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            #expect((document["error"] as? [String: Any])?["kind"] as? String == "timedOut")
            let pods = await emulator.state().pods
            #expect(pods.count == 2)
            let stuck = try #require(pods.first { $0.name == "batch-2" })
            let ready = try #require(pods.first { $0.name == "batch-1" })
            #expect(stuck.alive, "the pod that failed is kept to inspect")
            #expect(!ready.alive, "the ready pod would only bill: terminated")
            #expect(document["podIds"] as? [String] == [stuck.id])
            #expect(document["podId"] as? String == stuck.id)
            #expect(result.stderr.contains("runpod-launcher terminate \(stuck.id)"), "\(result.stderr)")
            _ = try await runInProcess(["terminate", stuck.id], environment: Self.environment(emulator))
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("launch --count 2 --no-wait --max-lifetime --pod-side-deadline: every pod gets the wrapper and its deadline")
    func countWithPodSideDeadline() async throws {
        try await withEmulator { emulator in
            let environment = Self.environment(emulator)
            let result = try await runInProcess(
                ["launch", "--count", "2", "--no-wait", "--max-lifetime", "2h", "--pod-side-deadline", "--start-command", "python main.py --listen"],
                environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            let ids = result.stdout.split(separator: "\n").map(String.init)
            #expect(ids.count == 2)
            let pods = await emulator.state().pods
            #expect(Set(pods.map(\.id)) == Set(ids))
            for pod in pods {
                #expect(pod.createRequest["args"] == .string(PodSideDeadline.wrapper))
                #expect(pod.createRequest["env"]?[PodSideDeadline.startCommandKey] == .string("python main.py --listen"))
                #expect(pod.createRequest["env"]?[PodSideDeadline.deadlineKey] != nil, "each pod knows when to stop")
            }
            #expect(result.stderr.components(separatedBy: "or its pod-side deadline, 2h after launch").count == 3, "\(result.stderr)")
            _ = try await runInProcess(["terminate"] + ids, environment: environment)
            #expect(await alivePods(emulator).isEmpty)
        }
    }
}
