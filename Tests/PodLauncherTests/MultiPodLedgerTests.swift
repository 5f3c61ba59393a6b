import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Synchronization
import TestSupport
import Testing

/// A launch of N pods keeps the pod ledger like a single one: each pod recorded once its create is answered, each
/// record removed once RunPod confirms that pod gone, and records kept for pods still billing.
extension MultiPodTests {
    /// The launch ID each pod's create sent in `RUNPOD_LAUNCHER_LAUNCH_ID`, by pod ID.
    func sentLaunchIDs(_ emulator: RunningEmulator) async -> [String: String] {
        let pods = await emulator.state().pods
        return Dictionary(
            pods.compactMap { pod in pod.createRequest["env"]?[PodIdentity.launchIDKey]?.stringValue.map { (pod.id, $0) } },
            uniquingKeysWith: { first, _ in first })
    }

    @Test(
        "every pod is recorded with its launch ID while the launch waits (adopted ones too), and withPods' teardown forgets them",
        arguments: [false, true])
    func podsRecordedWhileWaiting(lostCreateAnswers: Bool) async throws {
        // What the ledger held for each pod at each status change the wait saw.
        let seen = Mutex<[String: [PodLedgerRecord?]]>([:])
        let ledgerBox = Mutex<PodLedger?>(nil)
        let events = EventLog { event in
            guard case .statusChanged(let podID, _, _, _) = event, let ledger = ledgerBox.withLock({ $0 }) else { return }
            seen.withLock { $0[podID, default: []].append(ledger.record(podID: podID)) }
        }
        try await withWorld(events: events) { emulator, launcher, _ in
            let ledger = try #require(launcher.ledger)
            ledgerBox.withLock { $0 = ledger }
            if lostCreateAnswers {
                await emulator.setFaults([FaultRule(operation: "createPod", kind: .dropConnectionAfterApply, times: 2)])
            }
            let ids = try await launcher.withPods(spec, count: 4, options: LaunchOptions(concurrency: 2)) { launched in
                #expect(Set(ledger.load().records.map(\.podID)) == Set(launched.podIDs))
                return launched.podIDs
            }
            let launchIDs = await sentLaunchIDs(emulator)
            #expect(Set(launchIDs.values).count == 4)
            let observed = seen.withLock { $0 }
            #expect(Set(observed.keys) == Set(ids))
            for (podID, records) in observed {
                #expect(!records.isEmpty && records.allSatisfy { $0 != nil }, "pod \(podID) was waited on without a record")
                for record in records.compactMap(\.self) {
                    #expect(record.launchID != nil && record.launchID == launchIDs[podID])
                    #expect(record.name.hasPrefix("batch-") && record.owner == .current && record.releasedAt == nil)
                    #expect(record.apiHost == PodLedgerRecord.apiHost(of: emulator.baseURL))
                }
            }
            #expect(ledger.load().records.isEmpty, "withPods terminated every pod: no record may remain")
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("a failed all-or-nothing launch's cleanup removes the record of every pod it terminated")
    func failedLaunchCleanupForgetsItsPods() async throws {
        let recordedAtCreate = Mutex<[String: String?]>([:])
        let ledgerBox = Mutex<PodLedger?>(nil)
        let events = EventLog { event in
            guard case .created(let pod, _, _, _) = event, let ledger = ledgerBox.withLock({ $0 }) else { return }
            recordedAtCreate.withLock { $0[pod.id] = ledger.record(podID: pod.id)?.launchID }
        }
        try await withWorld(events: events) { emulator, launcher, _ in
            let ledger = try #require(launcher.ledger)
            ledgerBox.withLock { $0 = ledger }
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, namePrefix: "batch-3", times: 1))
            let failure = try await #require(throws: LauncherError.self) {
                try await launcher.launch(spec, count: 4, options: LaunchOptions(concurrency: 4))
            }
            #expect(failure.leftRunning.isEmpty)
            let launchIDs = await sentLaunchIDs(emulator)
            let atCreate = recordedAtCreate.withLock { $0 }
            #expect(!atCreate.isEmpty && atCreate.allSatisfy { $0.value != nil && $0.value == launchIDs[$0.key] })
            #expect(Set(failure.terminated) == Set(launchIDs.keys))
            #expect(ledger.load().records.isEmpty, "left: \(ledger.load().records.map(\.podID))")
        }
    }

    @Test("records survive for the pods a failed launch's cleanup could not terminate, and terminate removes them later")
    func recordsSurviveAFailedCleanup() async throws {
        try await withWorld { emulator, launcher, _ in
            let ledger = try #require(launcher.ledger)
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, namePrefix: "batch-3", times: 1))
            // RunPod refuses the first two terminates: two pods are left billing, the others are confirmed gone.
            await emulator.setFaults([FaultRule(operation: "deletePod", kind: .serverError(status: 403), times: 2)])
            let failure = try await #require(throws: LauncherError.self) {
                try await launcher.launch(spec, count: 4, options: LaunchOptions(concurrency: 4))
            }
            #expect(failure.leftRunning.count == 2 && failure.terminated.count == 2, "\(failure)")
            let launchIDs = await sentLaunchIDs(emulator)
            let records = ledger.load().records
            #expect(Set(records.map(\.podID)) == Set(failure.leftRunning))
            #expect(records.allSatisfy { $0.launchID != nil && $0.launchID == launchIDs[$0.podID] && $0.releasedAt == nil })

            let results = await launcher.terminate(podIDs: failure.leftRunning)
            #expect(results.allSatisfy { $0.error == nil })
            #expect(ledger.load().records.isEmpty)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    // The time limit turns a hung launch into a failure: a creator's failure once left the waiter waiting for ever.
    @Test(
        "a pod the cleanup finds only by its identity (its create answer unreadable) is recorded, so a failed terminate leaves its record",
        .timeLimit(.minutes(1)))
    func podFoundByCleanupIsRecorded() async throws {
        try await withWorld { emulator, launcher, _ in
            let ledger = try #require(launcher.ledger)
            // The create goes through but its answer is unreadable, and the one listing the launch makes to find it fails
            // (4 attempts): the pod fails with its create sent and its ID unknown, so the cleanup looks for it by
            // identity and finds it. RunPod then refuses to terminate it.
            await emulator.setFaults([
                FaultRule(operation: "createPod", kind: .malformedJSON, times: 1),
                FaultRule(operation: "listPods", kind: .serverError(status: 502), times: 4),
                FaultRule(operation: "deletePod", kind: .serverError(status: 403)),
            ])
            let failure = try await #require(throws: LauncherError.self) {
                try await launcher.launch(spec, count: 1)
            }
            let podID = try #require(await emulator.state().pods.first?.id)
            #expect(failure.leftRunning == [podID], "\(failure)")
            let record = try #require(ledger.record(podID: podID))
            let sent = await sentLaunchIDs(emulator)
            #expect(record.launchID != nil && record.launchID == sent[podID])
            #expect(record.name == "batch", "one pod keeps the spec's name")

            await emulator.setFaults([])
            #expect(await launcher.terminate(podIDs: [podID]).allSatisfy { $0.error == nil })
            #expect(ledger.load().records.isEmpty)
        }
    }

    @Test("a returned launch's pods stay recorded until terminated; the pod it gave up (minReady) is forgotten")
    func returnedLaunchKeepsItsRecords() async throws {
        try await withWorld { emulator, launcher, _ in
            let ledger = try #require(launcher.ledger)
            await emulator.addPodFailure(PodFailureRule(mode: .containerExits, namePrefix: "batch-2", times: 1))
            let launched = try await launcher.launch(spec, count: 3, options: LaunchOptions(minReady: 2))
            let failedID = try #require(launched.failures.first?.podID)
            #expect(Set(ledger.load().records.map(\.podID)) == Set(launched.podIDs))
            #expect(ledger.record(podID: failedID) == nil)

            let results = await launcher.terminate(podIDs: launched.podIDs)
            #expect(results.allSatisfy { $0.error == nil })
            #expect(ledger.load().records.isEmpty)
        }
    }
}
