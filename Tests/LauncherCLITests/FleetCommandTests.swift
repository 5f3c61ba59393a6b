import Foundation
import PodLauncher
import RunPodEmulator
import TestSupport
import Testing

/// `launch --count N` and `run --count N` against the emulator: every pod listed, every pod cleaned up.
@Suite("launch and run --count N against the emulator")
struct FleetCommandTests {
    static func environment(_ emulator: RunningEmulator) -> [String: String] {
        EndToEndTests.environment(emulator)
    }

    @Test("launch --count 3 --json lists every pod, ready and named NAME-1…3, and leaves them running")
    func launchJSON() async throws {
        try await withEmulator { emulator in
            let result = try await runInProcess(
                ["launch", "--count", "3", "--name", "batch", "--gpu", "NVIDIA RTX A5000", "--json"], environment: Self.environment(emulator))
            #expect(result.status == 0, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            let pods = try #require(document["pods"] as? [[String: Any]])
            #expect(pods.compactMap { $0["name"] as? String } == ["batch-1", "batch-2", "batch-3"])
            #expect(pods.allSatisfy { $0["ready"] as? Bool == true && $0["status"] as? String == "RUNNING" })
            #expect(document["requested"] as? Int == 3)
            #expect((document["failed"] as? [Any])?.isEmpty == true)
            let ids = pods.compactMap { $0["id"] as? String }
            #expect(Set(ids) == Set(await alivePods(emulator).map(\.id)))
            #expect(result.stderr.contains("3/3 ready"))
            #expect(result.stderr.contains("runpod-launcher terminate \(ids.joined(separator: " "))"))

            let terminate = try await runInProcess(["terminate"] + ids, environment: Self.environment(emulator))
            #expect(terminate.status == 0)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("one pod that fails: launch --count exits 70, terminates every pod it created, and says so")
    func onePodFails() async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, namePrefix: "batch-2", times: 1))
            let result = try await runInProcess(
                ["launch", "--count", "3", "--name", "batch", "--gpu", "NVIDIA RTX A5000", "--json"], environment: Self.environment(emulator))
            #expect(result.status == 70, "\(result.stderr)")
            #expect((try jsonObject(result.stdout)["error"] as? [String: Any])?["kind"] as? String == "podFailed")
            let created = await emulator.state().pods
            #expect(!created.isEmpty)
            let said = created.count == 1 ? "Pod \(created[0].id) was terminated." : "Terminated the \(created.count) pods it created."
            #expect(result.stderr.contains(said), "\(result.stderr)")
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("a failed --count launch whose cleanup cannot terminate lists every pod it left in the --json error (podIds), not only on stderr")
    func leftPodsInJSON() async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, namePrefix: "batch-2", times: 1))
            // RunPod refuses every terminate: the launch fails and its cleanup leaves all three pods billing.
            await emulator.setFaults([FaultRule(operation: "deletePod", kind: .serverError(status: 403))])
            let result = try await runInProcess(
                ["launch", "--count", "3", "--name", "batch", "--gpu", "NVIDIA RTX A5000", "--json"], environment: Self.environment(emulator))
            #expect(result.status == 70, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            #expect((document["error"] as? [String: Any])?["kind"] as? String == "podFailed")
            let left = try #require(document["podIds"] as? [String], "no podIds in \(result.stdout)")
            let created = await emulator.state().pods.map(\.id)
            #expect(left.count == 3 && Set(left) == Set(created), "left \(left), created \(created)")
            #expect(Set(left) == Set(await alivePods(emulator).map(\.id)))
            #expect(document["podId"] as? String == left.last)
            #expect(left.allSatisfy { result.stderr.contains($0) }, "stderr names them too: \(result.stderr)")
            await emulator.setFaults([])
        }
    }

    @Test("run --count 2 gives COMMAND every pod's ID and URL, and terminates them all")
    func runFleet() async throws {
        try await withEmulator { emulator in
            let script = "echo \"$RUNPOD_POD_IDS\"; echo \"$RUNPOD_POD_URLS\"; echo \"$RUNPOD_POD_ID\"; echo \"$RUNPOD_POD_COUNT\"; exit 4"
            let result = try await Binary.run(
                ["run", "--count", "2", "--gpu", "NVIDIA RTX A5000", "--", "sh", "-c", script], environment: Self.environment(emulator))
            #expect(result.status == 4, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            try #require(lines.count == 4, "\(result.stdout)")
            let state = await emulator.state()
            let ids = lines[0].split(separator: ",").map(String.init)
            #expect(Set(ids) == Set(state.pods.map(\.id)) && ids.count == 2)
            #expect(lines[1].split(separator: ",").map(String.init) == ids.compactMap { emulator.proxyURL(podID: $0, port: 8188)?.absoluteString })
            #expect(lines[2] == ids.first)
            #expect(lines[3] == "2")
            #expect(state.pods.allSatisfy { !$0.alive })
        }
    }

    @Test("Ctrl-C during a --count launch terminates every pod it created and exits 130")
    func interrupt() async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            let running = try Binary.start(
                ["launch", "--count", "4", "--concurrency", "2", "--gpu", "NVIDIA RTX A5000", "--timeout", "60"],
                environment: Self.environment(emulator))
            let started = await eventually { await emulator.state().pods.count >= 2 }
            #expect(started)
            running.interrupt()
            let result = await running.result()
            #expect(result.status == 130, "\(result.stderr)")
            let created = await emulator.state().pods
            #expect(created.count >= 2)
            for pod in created { #expect(result.stderr.contains("pod \(pod.id) terminated (confirmed gone)"), "\(result.stderr)") }
            #expect(await alivePods(emulator).isEmpty, "\(result.stderr)")
        }
    }

    @Test(
        "--count flags that cannot work together are usage errors (64) before any pod is created",
        arguments: [
            ["launch", "--count", "0"], ["launch", "--count", "3", "--min-ready", "4"], ["launch", "--concurrency", "0", "--count", "2"],
            ["run", "--count", "2", "--min-ready", "3", "--", "true"], ["launch", "--concurrency", "2"],
            ["launch", "--count", "2", "--no-wait", "--keep-on-failure"], ["launch", "--count", "2", "--no-wait", "--max-cost", "1"],
            ["launch", "--count", "2", "--no-wait", "--max-lifetime", "2h"], ["launch", "--count", "2", "--no-wait", "--timeout", "30"],
        ])
    func usage(arguments: [String]) async throws {
        try await withEmulator { emulator in
            let result = try await runInProcess(arguments, environment: Self.environment(emulator))
            #expect(result.status == 64, "\(result.stderr)")
            #expect(await emulator.state().pods.isEmpty)
        }
    }
}

/// `launch --count N` keeps the ledger like `launch`: one record per pod it leaves running, released when it exits.
@Suite("launch --count and the pod ledger")
struct FleetLedgerCommandTests {
    @Test("launch --count 2 --json leaves two released records (list --mine: kept, not orphaned by a crash); terminate removes them")
    func fleetLaunchRecordsItsPods() async throws {
        try await withEmulator { emulator in
            let (environment, ledger) = try OrphanTests.environment(emulator)
            let launch = try await Binary.run(
                ["launch", "--count", "2", "--name", "batch", "--gpu", "NVIDIA RTX A5000", "--json"], environment: environment)
            #expect(launch.status == 0, "\(launch.stderr)")
            let pods = try #require(try jsonObject(launch.stdout)["pods"] as? [[String: Any]])
            let ids = pods.compactMap { $0["id"] as? String }
            #expect(ids.count == 2)
            let records = ledger.load().records
            #expect(Set(records.map(\.podID)) == Set(ids))
            #expect(Set(records.map(\.name)) == ["batch-1", "batch-2"])
            #expect(records.allSatisfy { $0.launchID != nil && $0.releasedAt != nil && $0.apiHost == PodLedgerRecord.apiHost(of: emulator.baseURL) })
            #expect(Set(records.compactMap(\.launchID)).count == 2, "each pod its own launch ID")

            let listed = try await Binary.run(["list", "--mine", "--json"], environment: environment)
            let mine = try OrphanTests.minePods(listed.stdout).filter { ids.contains($0["id"] as? String ?? "") }
            #expect(mine.count == 2)
            #expect(mine.allSatisfy { ($0["owner"] as? [String: Any])?["state"] as? String == "kept" }, "\(listed.stdout)")

            let terminate = try await runInProcess(["terminate"] + ids, environment: environment)
            #expect(terminate.status == 0, "\(terminate.stderr)")
            #expect(ledger.load().records.isEmpty)
            #expect(await alivePods(emulator).isEmpty)
        }
    }
}
