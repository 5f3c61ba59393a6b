import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Synchronization
import Testing

/// A fleet keeps the pod ledger like a single launch: each pod recorded once its create is answered, each record
/// removed once RunPod confirms that pod gone, and records kept for pods still billing.
extension FleetTests {
    /// The launch ID each pod's create sent in `RUNPOD_LAUNCHER_LAUNCH_ID`, by pod ID.
    func sentLaunchIDs(_ emulator: RunningEmulator) async -> [String: String] {
        let pods = await emulator.state().pods
        return Dictionary(
            pods.compactMap { pod in pod.createRequest["env"]?[PodIdentity.launchIDKey]?.stringValue.map { (pod.id, $0) } },
            uniquingKeysWith: { first, _ in first })
    }

    @Test(
        "every fleet pod is recorded with its launch ID while the fleet waits (adopted ones too), and withFleet's teardown forgets them",
        arguments: [false, true])
    func fleetPodsRecordedWhileWaiting(lostCreateAnswers: Bool) async throws {
        try await withFleetWorld { emulator, launcher, _ in
            let ledger = try #require(launcher.ledger)
            if lostCreateAnswers {
                await emulator.setFaults([FaultRule(operation: "createPod", kind: .dropConnectionAfterApply, times: 2)])
            }
            // What the ledger held for each pod at each status change the fleet's wait saw.
            let seen = Mutex<[String: [PodLedgerRecord?]]>([:])
            let events = FleetEventLog { event in
                if case .statusChanged(_, let podID, _) = event { seen.withLock { $0[podID, default: []].append(ledger.record(podID: podID)) } }
            }
            let ids = try await launcher.withFleet(spec, options: FleetOptions(count: 4, concurrency: 2), events: events.handler) { fleet in
                #expect(Set(ledger.load().records.map(\.podID)) == Set(fleet.podIDs))
                return fleet.podIDs
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
            #expect(ledger.load().records.isEmpty, "withFleet terminated every pod: no record may remain")
            #expect(await alive(emulator).isEmpty)
        }
    }

    @Test("a failed all-or-nothing fleet's cleanup removes the record of every pod it terminated")
    func failedFleetCleanupForgetsItsPods() async throws {
        try await withFleetWorld { emulator, launcher, _ in
            let ledger = try #require(launcher.ledger)
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, namePrefix: "batch-3", times: 1))
            let recordedAtCreate = Mutex<[String: String?]>([:])
            let events = FleetEventLog { event in
                if case .created(_, let pod, _, _) = event { recordedAtCreate.withLock { $0[pod.id] = ledger.record(podID: pod.id)?.launchID } }
            }
            let failure = try await #require(throws: FleetFailure.self) {
                try await launcher.launchFleet(spec, options: FleetOptions(count: 4, concurrency: 4), events: events.handler)
            }
            #expect(failure.leftRunning.isEmpty)
            let launchIDs = await sentLaunchIDs(emulator)
            let atCreate = recordedAtCreate.withLock { $0 }
            #expect(!atCreate.isEmpty && atCreate.allSatisfy { $0.value != nil && $0.value == launchIDs[$0.key] })
            #expect(Set(failure.terminated) == Set(launchIDs.keys))
            #expect(ledger.load().records.isEmpty, "left: \(ledger.load().records.map(\.podID))")
        }
    }

    @Test("records survive for the pods a failed fleet's cleanup could not terminate, and terminate removes them later")
    func recordsSurviveAFailedCleanup() async throws {
        try await withFleetWorld { emulator, launcher, _ in
            let ledger = try #require(launcher.ledger)
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, namePrefix: "batch-3", times: 1))
            // RunPod refuses the first two terminates: two pods are left billing, the others are confirmed gone.
            await emulator.setFaults([FaultRule(operation: "deletePod", kind: .serverError(status: 403), times: 2)])
            let failure = try await #require(throws: FleetFailure.self) {
                try await launcher.launchFleet(spec, options: FleetOptions(count: 4, concurrency: 4))
            }
            #expect(failure.leftRunning.count == 2 && failure.terminated.count == 2, "\(failure)")
            let launchIDs = await sentLaunchIDs(emulator)
            let records = ledger.load().records
            #expect(Set(records.map(\.podID)) == Set(failure.leftRunning))
            #expect(records.allSatisfy { $0.launchID != nil && $0.launchID == launchIDs[$0.podID] && $0.releasedAt == nil })

            let results = await launcher.terminatePods(failure.leftRunning)
            #expect(results.allSatisfy { $0.error == nil })
            #expect(ledger.load().records.isEmpty)
            #expect(await alive(emulator).isEmpty)
        }
    }

    // The time limit turns a hung fleet into a failure: a creator's failure once left the waiter waiting for ever.
    @Test(
        "a pod the cleanup finds only by its identity (its create answer lost) is recorded, so a failed terminate leaves its record",
        .timeLimit(.minutes(1)))
    func podFoundByCleanupIsRecorded() async throws {
        try await withFleetWorld { emulator, launcher, _ in
            let ledger = try #require(launcher.ledger)
            // The create goes through unanswered, and every listing the fleet makes to find it fails (4 attempts): the
            // pod fails with its create sent and its ID unknown, so the cleanup looks for it by identity and finds it.
            // RunPod then refuses to terminate it.
            await emulator.setFaults([
                FaultRule(operation: "createPod", kind: .dropConnectionAfterApply, times: 1),
                FaultRule(operation: "listPods", kind: .serverError(status: 502), times: 4),
                FaultRule(operation: "deletePod", kind: .serverError(status: 403)),
            ])
            let failure = try await #require(throws: FleetFailure.self) {
                try await launcher.launchFleet(spec, options: FleetOptions(count: 1))
            }
            let podID = try #require(await emulator.state().pods.first?.id)
            #expect(failure.leftRunning == [podID], "\(failure)")
            let record = try #require(ledger.record(podID: podID))
            let sent = await sentLaunchIDs(emulator)
            #expect(record.launchID != nil && record.launchID == sent[podID])
            #expect(record.name == "batch-1")

            await emulator.setFaults([])
            #expect(await launcher.terminatePods([podID]).allSatisfy { $0.error == nil })
            #expect(ledger.load().records.isEmpty)
        }
    }

    @Test("a returned fleet's pods stay recorded until terminated; the pod it gave up (minReady) is forgotten")
    func returnedFleetKeepsItsRecords() async throws {
        try await withFleetWorld { emulator, launcher, _ in
            let ledger = try #require(launcher.ledger)
            await emulator.addPodFailure(PodFailureRule(mode: .containerExits, namePrefix: "batch-2", times: 1))
            let fleet = try await launcher.launchFleet(spec, options: FleetOptions(count: 3, minReady: 2))
            let failedID = try #require(fleet.failures.first?.podID)
            #expect(Set(ledger.load().records.map(\.podID)) == Set(fleet.podIDs))
            #expect(ledger.record(podID: failedID) == nil)

            let results = await launcher.terminatePods(fleet.podIDs)
            #expect(results.allSatisfy { $0.error == nil })
            #expect(ledger.load().records.isEmpty)
        }
    }
}
