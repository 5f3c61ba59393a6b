import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

@testable import LauncherCLI

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#endif

/// Leftovers: the local ledger, `list --mine` and `terminate --all-mine`, with the real binary where a process must
/// die or exit, in-process otherwise.
@Suite("orphans: ledger, list --mine and terminate --all-mine")
struct OrphanTests {
    /// The emulator's environment plus a fresh state directory for the ledger.
    static func environment(_ emulator: RunningEmulator) throws -> (environment: [String: String], ledger: PodLedger) {
        let state = try temporaryDirectory()
        var environment = EndToEndTests.environment(emulator)
        environment["XDG_STATE_HOME"] = state.path
        return (environment, PodLedger(directory: state.appendingPathComponent("runpod-launcher")))
    }

    static func minePods(_ stdout: String) throws -> [[String: Any]] {
        try #require(try jsonObject(stdout)["pods"] as? [[String: Any]], "no pods array: \(stdout)")
    }

    @Test("kill -9 of a launcher leaves its ledger record; list --mine marks the pod ORPHANED; terminate --all-mine removes it")
    func killedLauncherLeavesAnOrphanThatTerminateAllMineRemoves() async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            let (environment, ledger) = try Self.environment(emulator)
            let launcher = try SignalledProcess(["launch", "--timeout", "60"], environment: environment)
            let recorded = await eventually { !ledger.load().records.isEmpty }
            #expect(recorded, "no ledger record: \(launcher.stderrSoFar)")
            launcher.send(SIGKILL)
            let (_, signalled) = await launcher.result()
            #expect(signalled)

            let record = try #require(ledger.load().records.first)
            let pod = try #require(await emulator.state().pods.first)
            #expect(record.podID == pod.id)
            #expect(record.name == pod.name)
            #expect(record.owner.pid == launcher.pid)
            #expect(record.apiHost == PodLedgerRecord.apiHost(of: emulator.baseURL))
            #expect(record.releasedAt == nil)
            #expect(await alivePods(emulator).map(\.id) == [pod.id])
            // The key never reaches the ledger.
            let files = try FileManager.default.contentsOfDirectory(at: ledger.podsDirectory, includingPropertiesForKeys: nil)
            for file in files { #expect(!(try String(contentsOf: file, encoding: .utf8)).contains(emulator.apiKey)) }

            let table = try await Binary.run(["list", "--mine"], environment: environment)
            #expect(table.status == 0, "\(table.stderr)")
            let row = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix(pod.id) })
            #expect(row.contains("ORPHANED (launcher \(launcher.pid) gone)"))
            #expect(table.stderr.contains("1 ORPHANED"))

            let json = try await Binary.run(["list", "--mine", "--json"], environment: environment)
            let listed = try #require(try Self.minePods(json.stdout).first)
            #expect(listed["id"] as? String == pod.id)
            #expect(listed["orphaned"] as? Bool == true)
            #expect((listed["owner"] as? [String: Any])?["state"] as? String == "launcherGone")
            #expect((listed["owner"] as? [String: Any])?["pid"] as? Int == Int(launcher.pid))

            let terminate = try await Binary.run(["terminate", "--all-mine"], environment: environment)
            #expect(terminate.status == 0, "\(terminate.stderr)")
            #expect(terminate.stdout == "\(pod.id)\n")
            #expect(terminate.stderr.contains("terminated 1 pod(s), each confirmed gone"))
            #expect(await alivePods(emulator).isEmpty)
            #expect(ledger.load().records.isEmpty)
        }
    }

    @Test("a pod left running by a successful launch is listed as kept, not as a killed launcher's")
    func launchThatExitsNormallyReleasesItsPod() async throws {
        try await withEmulator { emulator in
            let (environment, ledger) = try Self.environment(emulator)
            let launch = try await Binary.run(["launch"], environment: environment)
            #expect(launch.status == 0, "\(launch.stderr)")
            let id = launch.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let record = try #require(ledger.record(podID: id))
            #expect(record.releasedAt != nil)

            let json = try await Binary.run(["list", "--mine", "--json"], environment: environment)
            let listed = try #require(try Self.minePods(json.stdout).first { $0["id"] as? String == id })
            #expect(listed["orphaned"] as? Bool == true)
            #expect((listed["owner"] as? [String: Any])?["state"] as? String == "kept")

            let terminate = try await Binary.run(["terminate", id], environment: environment)
            #expect(terminate.status == 0)
            #expect(ledger.record(podID: id) == nil, "terminate removes the record of the pod it confirmed gone")
        }
    }

    @Test("a pod whose launcher still runs is owned: --all-mine skips it and says why; --include-owned terminates it")
    func liveOwnerIsSkippedUnlessIncludeOwned() async throws {
        try await withEmulator { emulator in
            let (environment, ledger) = try Self.environment(emulator)
            // This test process is the live owner: a library launcher with the same ledger creates the pod.
            let client = RunPodClient(baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey))
            let library = RunPodLauncher(client: client, ledger: ledger)
            let owned = try await library.createPod(LaunchSpec(name: "owned-by-a-live-launcher"))
            // And an orphan no launcher on this machine knows.
            let stranger = try await RunPodLauncher(client: client, ledger: nil).createPod(LaunchSpec(name: "launched-elsewhere"))

            let table = try await runInProcess(["list", "--mine"], environment: environment)
            #expect(table.status == 0, "\(table.stderr)")
            let lines = table.stdout.split(separator: "\n")
            #expect(lines.first { $0.hasPrefix(owned.id) }?.contains("launcher pid \(getpid())") == true)
            #expect(lines.first { $0.hasPrefix(stranger.id) }?.contains("ORPHANED (no local record)") == true)

            let dryRun = try await runInProcess(["terminate", "--all-mine", "--dry-run"], environment: environment)
            #expect(dryRun.status == 0, "\(dryRun.stderr)")
            #expect(dryRun.stdout == "\(stranger.id)\n")
            #expect(dryRun.stderr.contains("dry run: would terminate 1 pod(s)"))
            #expect(await alivePods(emulator).count == 2, "a dry run terminates nothing")

            let first = try await runInProcess(["terminate", "--all-mine", "--json"], environment: environment)
            #expect(first.status == 0, "\(first.stderr)")
            let document = try jsonObject(first.stdout)
            #expect(document["terminated"] as? [String] == [stranger.id])
            let skipped = try #require(document["skipped"] as? [[String: Any]])
            #expect(skipped.first?["id"] as? String == owned.id)
            #expect(skipped.first?["reason"] as? String == "ownedByLiveLauncher")
            #expect(first.stderr.contains("--include-owned"))
            #expect(await alivePods(emulator).map(\.id) == [owned.id])

            let second = try await runInProcess(["terminate", "--all-mine", "--include-owned"], environment: environment)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout == "\(owned.id)\n")
            #expect(await alivePods(emulator).isEmpty)
            #expect(ledger.load().records.isEmpty)
        }
    }

    @Test("--older-than keeps younger pods and terminates older ones")
    func olderThanSelectsByRunPodsCreationTime() async throws {
        let clock = ManualEmulatorClock(start: Date().addingTimeInterval(-3 * 3600))
        try await withEmulator(EmulatorOptions(port: 0, timeScale: 0.001, clock: clock)) { emulator in
            let (environment, _) = try Self.environment(emulator)
            let old = try await runInProcess(["launch", "--no-wait", "--name", "three-hours-old"], environment: environment)
            #expect(old.status == 0, "\(old.stderr)")
            clock.advance(by: .seconds(3 * 3600))
            let young = try await runInProcess(["launch", "--no-wait", "--name", "brand-new"], environment: environment)
            #expect(young.status == 0, "\(young.stderr)")
            let oldID = old.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let youngID = young.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

            // In-process launches are owned by this (live) test process: --include-owned lets age alone decide.
            let result = try await runInProcess(["terminate", "--all-mine", "--older-than", "2h", "--include-owned"], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "\(oldID)\n")
            #expect(result.stderr.contains("skipping \(youngID) (brand-new)"))
            #expect(result.stderr.contains("younger than --older-than 2h"))
            #expect(await alivePods(emulator).map(\.id) == [youngID])
        }
    }

    @Test("list --mine forgets records of pods RunPod no longer has, once their launcher is gone")
    func listMinePrunesStaleRecords() async throws {
        try await withEmulator { emulator in
            let (environment, ledger) = try Self.environment(emulator)
            let host = PodLedgerRecord.apiHost(of: emulator.baseURL)
            let gone = LedgerProcess(pid: Int32.max - 1, startToken: "never", host: LedgerProcess.current.host)
            try ledger.write(PodLedgerRecord(podID: "vanishedpod01", name: "vanished", costPerHour: 0.5, owner: gone, apiHost: host))
            try ledger.write(PodLedgerRecord(podID: "stillwatched1", name: "watched", costPerHour: 0.5, apiHost: host))
            try ledger.write(PodLedgerRecord(podID: "otherapi00001", name: "elsewhere", costPerHour: 0.5, owner: gone, apiHost: "api.runpod.io"))

            let result = try await runInProcess(["list", "--mine", "--json"], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            #expect(document["prunedRecords"] as? [String] == ["vanishedpod01"])
            #expect(result.stderr.contains("forgot 1 local record(s)"))
            let left = Set(ledger.load().records.map(\.podID))
            #expect(left == ["stillwatched1", "otherapi00001"], "a live launcher's record and another API's are kept")
        }
    }

    @Test("terminate of a pod RunPod does not know exits 64 and drops its stale local record")
    func terminateUnknownPodForgetsItsRecord() async throws {
        try await withEmulator { emulator in
            let (environment, ledger) = try Self.environment(emulator)
            let host = PodLedgerRecord.apiHost(of: emulator.baseURL)
            try ledger.write(PodLedgerRecord(podID: "neverexisted1", name: "stale", costPerHour: 0.5, apiHost: host))
            let result = try await runInProcess(["terminate", "neverexisted1"], environment: environment)
            #expect(result.status == 64, "\(result.stderr)")
            #expect(ledger.record(podID: "neverexisted1") == nil)
        }
    }

    @Test(
        "--older-than is strict: a bad value exits 64 and says what is accepted",
        arguments: ["30", "1.5h", "2H", "-1h", "0m", "30m1h", "1h1h", "h", "1w", " 2h", "9999999999d", "400d"])
    func olderThanRejects(_ value: String) async throws {
        let result = try await runInProcess(["terminate", "--all-mine", "--older-than", value])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--older-than"))
    }

    @Test(
        "--older-than reads whole units, largest first",
        arguments: [("45s", 45), ("30m", 1800), ("2h", 7200), ("1d", 86_400), ("1h30m", 5400), ("1d2h3m4s", 93_784)])
    func olderThanAccepts(_ value: String, seconds: Int64) throws {
        #expect(try AgeArgument.parse(value) == .seconds(seconds))
    }

    @Test(
        "terminate's --all-mine conflicts with POD_IDs, and its options need it",
        arguments: [
            ["terminate", "--all-mine", "abc"], ["terminate", "abc", "--older-than", "1h"], ["terminate", "abc", "--include-owned"],
            ["terminate", "abc", "--dry-run"], ["terminate"],
        ])
    func allMineUsage(_ arguments: [String]) async throws {
        let result = try await runInProcess(arguments)
        #expect(result.status == 64, "\(result.stderr)")
    }
}
