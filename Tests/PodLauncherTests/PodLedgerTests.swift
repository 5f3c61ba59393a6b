import Foundation
import Logging
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Synchronization
import TestSupport
import Testing

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#endif

/// A fresh, empty ledger in a temporary directory.
func temporaryLedger() throws -> PodLedger {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("pod-ledger-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return PodLedger(directory: url)
}

/// Log messages at warning and above, kept for assertions.
final class WarningLog: Sendable {
    private let lines = Mutex<[String]>([])
    var messages: [String] { lines.withLock { $0 } }
    var logger: Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: WarningLog
        var logLevel: Logger.Level = .warning
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { log.lines.withLock { $0.append("\(event.message)") } }
    }
}

@Suite("pod ledger: the local record of pods that may bill")
struct PodLedgerTests {
    static func record(_ id: String, owner: LedgerProcess = .current, host: String = "api.runpod.io") -> PodLedgerRecord {
        PodLedgerRecord(podID: id, name: "pod-\(id)", costPerHour: 0.69, launchID: "abcd1234", owner: owner, apiHost: host)
    }

    @Test("a record round-trips through one private file per pod, with no temporary file left behind")
    func roundTrip() throws {
        let ledger = try temporaryLedger()
        let record = Self.record("pod01")
        try ledger.write(record)
        var loaded = try #require(ledger.record(podID: "pod01"))
        #expect(abs(loaded.createdAt.timeIntervalSince(record.createdAt)) < 0.001, "dates keep their milliseconds")
        loaded.createdAt = record.createdAt
        #expect(loaded == record)
        let names = try FileManager.default.contentsOfDirectory(atPath: ledger.podsDirectory.path)
        #expect(names == ["pod01.json"])
        let attributes = try FileManager.default.attributesOfItem(atPath: ledger.podsDirectory.appendingPathComponent("pod01.json").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let text = try String(contentsOf: ledger.podsDirectory.appendingPathComponent("pod01.json"), encoding: .utf8)
        for key in [
            "\"podId\"", "\"name\"", "\"createdAt\"", "\"costPerHr\"", "\"launchId\"", "\"owner\"", "\"pid\"", "\"startToken\"", "\"apiHost\"",
        ] {
            #expect(text.contains(key), "missing \(key) in \(text)")
        }
        try ledger.remove(podID: "pod01")
        #expect(ledger.load().records.isEmpty)
        try ledger.remove(podID: "pod01")  // Already gone: not an error.
    }

    @Test("concurrent writers never lose each other's records")
    func concurrentWriters() async throws {
        let ledger = try temporaryLedger()
        let ids = (0..<64).map { String(format: "pod%03d", $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids { group.addTask { try ledger.write(Self.record(id)) } }
            try await group.waitForAll()
        }
        let loaded = ledger.load()
        #expect(Set(loaded.records.map(\.podID)) == Set(ids))
        #expect(loaded.unreadable.isEmpty)
    }

    @Test("a hostile pod ID cannot write outside the ledger's pods directory", arguments: ["../escape", "a/b", ".hidden", "x-abc", "é"])
    func hostileIDs(_ id: String) throws {
        let ledger = try temporaryLedger()
        try ledger.write(Self.record(id))
        let names = try FileManager.default.contentsOfDirectory(atPath: ledger.podsDirectory.path)
        #expect(names.count == 1)
        #expect(names.allSatisfy { !$0.contains("/") && !$0.hasPrefix(".") })
        #expect(ledger.record(podID: id)?.podID == id)
        #expect(!FileManager.default.fileExists(atPath: ledger.directory.appendingPathComponent("escape.json").path))
    }

    @Test("an unreadable file is reported, not taken for a record; files being written are ignored")
    func unreadableFiles() throws {
        let ledger = try temporaryLedger()
        try ledger.write(Self.record("good"))
        try Data("{not json".utf8).write(to: ledger.podsDirectory.appendingPathComponent("bad.json"))
        try Data("{}".utf8).write(to: ledger.podsDirectory.appendingPathComponent(".good.json.123.abc.tmp"))
        let loaded = ledger.load()
        #expect(loaded.records.map(\.podID) == ["good"])
        #expect(loaded.unreadable.map(\.lastPathComponent) == ["bad.json"])
    }

    @Test(
        "the ledger lives in $XDG_STATE_HOME/runpod-launcher, else ~/.local/state/runpod-launcher",
        arguments: [
            (["XDG_STATE_HOME": "/state", "HOME": "/home/u"], "/state/runpod-launcher"),
            (["XDG_STATE_HOME": "relative/ignored", "HOME": "/home/u"], "/home/u/.local/state/runpod-launcher"),
            (["HOME": "/home/u"], "/home/u/.local/state/runpod-launcher"),
            ([:], nil),
        ])
    func defaultDirectory(_ environment: [String: String], expected: String?) {
        #expect(PodLedger.defaultDirectory(environment: environment)?.path == expected)
    }

    @Test("an owner is alive only while the same process runs: a reused PID, a vanished one or another machine's is not")
    func ownerLiveness() {
        let me = LedgerProcess.current
        #expect(me.pid == getpid())
        #expect(me.liveness == .alive)
        #expect(me.startToken != nil)
        var reused = me
        reused.startToken = "linux:another-boot:1"
        #expect(reused.liveness == .gone)
        #expect(LedgerProcess(pid: Int32.max - 1, startToken: nil, host: me.host).liveness == .gone)
        #expect(LedgerProcess(pid: me.pid, startToken: me.startToken, host: me.host + "-elsewhere").liveness == .unknown)
    }

    @Test("release marks only the owner's unreleased records")
    func release() throws {
        let ledger = try temporaryLedger()
        let other = LedgerProcess(pid: 1, startToken: "x", host: LedgerProcess.current.host)
        try ledger.write(Self.record("mine"))
        try ledger.write(Self.record("theirs", owner: other))
        #expect(ledger.release(ownedBy: .current) == ["mine"])
        #expect(ledger.record(podID: "mine")?.releasedAt != nil)
        #expect(ledger.record(podID: "theirs")?.releasedAt == nil)
        #expect(ledger.release(ownedBy: .current).isEmpty)
    }
}

@Suite("pod ledger: kept in step by the launcher, against the emulator")
struct PodLedgerLauncherTests {
    static func launcher(_ emulator: RunningEmulator, ledger: PodLedger?, logger: Logger? = nil, events: RunPodLauncher.EventHandler? = nil)
        -> RunPodLauncher
    {
        emulatorLauncher(emulator, ledger: ledger, logger: logger, events: events)
    }

    @Test("the pod is recorded before the launcher waits on it, and forgotten once confirmed gone")
    func recordedWhileWaitingForgottenWhenGone() async throws {
        try await withEmulator { emulator in
            let ledger = try temporaryLedger()
            let seenWhileWaiting = Mutex<[PodLedgerRecord?]>([])
            let launcher = Self.launcher(emulator, ledger: ledger) { event in
                if case .statusChanged(let podID, _, _, _) = event { seenWhileWaiting.withLock { $0.append(ledger.record(podID: podID)) } }
            }
            let ready = try await launcher.launchPod(LaunchSpec(name: "ledger-lifecycle"), options: LaunchOptions(timeout: .seconds(30)))
            let seen = seenWhileWaiting.withLock { $0 }
            #expect(!seen.isEmpty && seen.allSatisfy { $0 != nil }, "every status change happened with the record in place")
            let record = try #require(ledger.record(podID: ready.pod.id))
            #expect(record.name == "ledger-lifecycle")
            #expect(record.costPerHour == ready.pod.costPerHour)
            #expect(record.owner == .current)
            #expect(record.apiHost == PodLedgerRecord.apiHost(of: emulator.baseURL))
            let text = try String(contentsOf: ledger.podsDirectory.appendingPathComponent("\(ready.pod.id).json"), encoding: .utf8)
            #expect(!text.contains(emulator.apiKey))

            try await launcher.terminatePod(podID: ready.pod.id)
            #expect(ledger.record(podID: ready.pod.id) == nil)
        }
    }

    @Test("createPod records the launch ID the pod carries in RUNPOD_LAUNCHER_LAUNCH_ID")
    func launchIDRecorded() async throws {
        try await withEmulator { emulator in
            let ledger = try temporaryLedger()
            let pod = try await Self.launcher(emulator, ledger: ledger).createPod(LaunchSpec())
            let state = try #require(await emulator.state().pods.first)
            let launchID = try #require(state.createRequest["env"]?[PodIdentity.launchIDKey]?.stringValue, "no launch ID in \(state.createRequest)")
            #expect(ledger.record(podID: pod.id)?.launchID == launchID)
        }
    }

    @Test("launchPod records the launch ID it sent in RUNPOD_LAUNCHER_LAUNCH_ID, from the moment the pod exists")
    func launchIDRecordedByLaunchPod() async throws {
        try await withEmulator { emulator in
            let ledger = try temporaryLedger()
            let seenWhileWaiting = Mutex<[String?]>([])
            let launcher = Self.launcher(emulator, ledger: ledger) { event in
                if case .statusChanged(let podID, _, _, _) = event {
                    seenWhileWaiting.withLock { $0.append(ledger.record(podID: podID)?.launchID) }
                }
            }
            let ready = try await launcher.launchPod(LaunchSpec(name: "ledger-launch-id"), options: LaunchOptions(timeout: .seconds(30)))
            let state = try #require(await emulator.state().pods.first)
            let launchID = try #require(state.createRequest["env"]?[PodIdentity.launchIDKey]?.stringValue, "no launch ID in \(state.createRequest)")
            #expect(ledger.record(podID: ready.pod.id)?.launchID == launchID)
            let seen = seenWhileWaiting.withLock { $0 }
            #expect(!seen.isEmpty && seen.allSatisfy { $0 == launchID }, "the record carried the launch ID while the launcher waited")
            try await launcher.terminatePod(podID: ready.pod.id)
        }
    }

    @Test("withPod leaves no record behind, on success and when its body fails")
    func withPodLeavesNothing() async throws {
        try await withEmulator { emulator in
            let ledger = try temporaryLedger()
            let launcher = Self.launcher(emulator, ledger: ledger)
            let id = try await launcher.withPod(LaunchSpec(), options: LaunchOptions(timeout: .seconds(30))) { ready in
                #expect(ledger.record(podID: ready.pod.id) != nil)
                return ready.pod.id
            }
            #expect(ledger.record(podID: id) == nil)
            struct BodyFailed: Error {}
            await #expect(throws: BodyFailed.self) {
                try await launcher.withPod(LaunchSpec(), options: LaunchOptions(timeout: .seconds(30))) { _ in throw BodyFailed() }
            }
            #expect(ledger.load().records.isEmpty)
            #expect(await emulator.state().pods.allSatisfy { !$0.alive })
        }
    }

    @Test("a ledger that cannot be written warns and never stops the launch")
    func unwritableLedgerWarns() async throws {
        try await withEmulator { emulator in
            // A regular file where the ledger's directory should be: every write fails.
            let blocker = try temporaryLedger().directory.appendingPathComponent("not-a-directory")
            try Data("x".utf8).write(to: blocker)
            let warnings = WarningLog()
            let launcher = Self.launcher(emulator, ledger: PodLedger(directory: blocker), logger: warnings.logger)
            let ready = try await launcher.launchPod(LaunchSpec(), options: LaunchOptions(timeout: .seconds(30)))
            #expect(warnings.messages.contains { $0.contains("could not record pod \(ready.pod.id)") && $0.contains("list --mine") })
            try await launcher.terminatePod(podID: ready.pod.id)
            #expect(await emulator.state().pods.allSatisfy { !$0.alive })
        }
    }

    @Test("listMinePods: a live owner, a gone owner, a kept pod and an unrecorded marked pod, oldest first")
    func ownershipClassification() async throws {
        try await withEmulator { emulator in
            let ledger = try temporaryLedger()
            let launcher = Self.launcher(emulator, ledger: ledger)
            let live = try await launcher.createPod(LaunchSpec(name: "live"))
            let dead = try await launcher.createPod(LaunchSpec(name: "dead"))
            let kept = try await launcher.createPod(LaunchSpec(name: "kept"))
            let stranger = try await Self.launcher(emulator, ledger: nil).createPod(LaunchSpec(name: "stranger"))
            let gone = LedgerProcess(pid: Int32.max - 1, startToken: "gone", host: LedgerProcess.current.host)
            var deadRecord = try #require(ledger.record(podID: dead.id))
            deadRecord.owner = gone
            try ledger.write(deadRecord)
            var keptRecord = try #require(ledger.record(podID: kept.id))
            keptRecord.owner = gone
            keptRecord.releasedAt = Date()
            try ledger.write(keptRecord)

            let listing = try await launcher.listMinePods()
            let byName = Dictionary(uniqueKeysWithValues: listing.pods.map { ($0.pod.name, $0) })
            #expect(byName["live"]?.ownership == .liveLauncher(pid: getpid()))
            #expect(byName["dead"]?.ownership == .orphaned(.launcherGone(pid: Int32.max - 1)))
            #expect(byName["kept"]?.isOrphaned == true)
            #expect(byName["stranger"]?.ownership == .orphaned(.noLocalRecord))
            #expect(listing.pods.map(\.pod.id) == [live.id, dead.id, kept.id, stranger.id])
            #expect(listing.pods.allSatisfy { $0.createdAt != nil })
        }
    }
}

@Suite("terminate --all-mine selection")
struct MinePodSelectionTests {
    static func pod(_ id: String, ageMinutes: Double?, ownership: MinePod.Ownership, now: Date) -> MinePod {
        MinePod(
            pod: Pod(
                id: id, name: id, gpuTypeID: nil, gpuCount: 1, dataCenterID: nil, cloud: nil, networkVolumeID: nil, image: nil, costPerHour: 1,
                status: .running),
            createdAt: ageMinutes.map { now.addingTimeInterval(-$0 * 60) }, record: nil, ownership: ownership)
    }

    @Test(
        "orphans are chosen; owned pods only with includeOwned; --older-than keeps younger and unknown-age pods",
        arguments: [
            (nil as Int?, false, ["orphan-old", "orphan-young", "orphan-unknown"]),
            (nil, true, ["owned-old", "orphan-old", "orphan-young", "orphan-unknown"]),
            (60, false, ["orphan-old"]),
            (60, true, ["owned-old", "orphan-old"]),
        ])
    func selection(olderThanMinutes: Int?, includeOwned: Bool, expected: [String]) {
        let now = Date()
        let pods = [
            Self.pod("owned-old", ageMinutes: 120, ownership: .liveLauncher(pid: 42), now: now),
            Self.pod("orphan-old", ageMinutes: 120, ownership: .orphaned(.launcherGone(pid: 7)), now: now),
            Self.pod("orphan-young", ageMinutes: 5, ownership: .orphaned(.noLocalRecord), now: now),
            Self.pod("orphan-unknown", ageMinutes: nil, ownership: .orphaned(.noLocalRecord), now: now),
        ]
        let selection = MinePodSelection(pods, olderThan: olderThanMinutes.map { .seconds($0 * 60) }, includeOwned: includeOwned, now: now)
        #expect(selection.selected.map(\.pod.id) == expected)
        #expect(selection.selected.count + selection.skipped.count == pods.count)
    }
}
