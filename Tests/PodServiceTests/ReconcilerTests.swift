import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Synchronization
import TestSupport
import Testing

@testable import PodService

/// The reconciler against the emulator, a tick at a time, on a real SQLite file.
@Suite struct ReconcilerTests {
    @Test func aLaunchGoesFromPendingToReadyWithItsURLAndOnePodStamped() async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let store = try await openStore(scratchDatabase())
            let reconciler = Reconciler(store: store, launcher: launcher)
            let launch = try await recordLaunch(store)
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .ready })
            let ready = try #require(try await store.launch(id: launch.id))
            let podID = try #require(ready.podID)
            #expect(ready.urls?[8188]?.contains(podID) == true)
            #expect(ready.readyAt != nil && ready.gpuTypeID != nil && (ready.costPerHour ?? 0) > 0)
            #expect(try await stampedAlive(launcher) == [launch.id: [podID]])
            // The events say each state once, in order.
            let states = try await store.events(after: 0).filter { $0.launchID == launch.id }.map(\.state)
            #expect(states == [.pending, .creating, .starting, .ready])
            await store.close()
        }
    }

    @Test func aBurstOfLaunchesIsCreatedAFewAtATimeAndAllBecomeReady() async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let store = try await openStore(scratchDatabase())
            let reconciler = Reconciler(store: store, launcher: launcher, settings: ReconcilerSettings(maxCreatesInFlight: 2))
            var ids: [String] = []
            for _ in 0..<12 { ids.append(try await recordLaunch(store).id) }
            var most = 0
            for _ in 0..<400 {
                await reconciler.tick()
                most = max(most, try await store.liveLaunches().filter { $0.state == .creating }.count)
                await reconciler.drain()
                if try await store.liveLaunches().allSatisfy({ $0.state == .ready }) { break }
            }
            #expect(most <= 2)
            #expect(try await store.liveLaunches().map(\.state) == Array(repeating: .ready, count: 12))
            #expect(try await stampedAlive(launcher).count == 12)
            await store.close()
        }
    }

    @Test func deletingAReadyLaunchTerminatesItsPodAndEndsTerminated() async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let store = try await openStore(scratchDatabase())
            let reconciler = Reconciler(store: store, launcher: launcher)
            let launch = try await recordLaunch(store)
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .ready })
            var ending = try #require(try await store.launch(id: launch.id))
            ending.state = .terminating
            try #require(try await store.update(ending) != nil)
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .terminated })
            #expect(try await stampedAlive(launcher).isEmpty)
            let ended = try #require(try await store.launch(id: launch.id))
            #expect(ended.endedAt != nil && ended.error == nil)
            await store.close()
        }
    }

    @Test func aLaunchNotReadyByItsDeadlineFailsTimedOutAndLeavesNoPod() async throws {
        var scenario = Scenario()
        scenario.timings.appStartSeconds = 3_600_000  // The app never answers.
        try await withEmulator(EmulatorOptions(port: 0, scenario: scenario, timeScale: 0.001)) { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let clock = TestNow()
            let store = try await openStore(scratchDatabase(), now: clock.now)
            let reconciler = Reconciler(store: store, launcher: launcher, now: clock.now)
            let launch = try await recordLaunch(store, plan: testPlan(timeoutSeconds: 120), now: clock.now())
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .starting })
            clock.advance(121)
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .failed })
            #expect(try await store.launch(id: launch.id)?.error?.kind == "timedOut")
            #expect(try await stampedAlive(launcher).isEmpty)
            await store.close()
        }
    }

    @Test func aReadyPodPastItsMaxLifetimeIsTerminatedAndTheLaunchFailsLimitExceeded() async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let clock = TestNow()
            let store = try await openStore(scratchDatabase(), now: clock.now)
            let reconciler = Reconciler(store: store, launcher: launcher, now: clock.now)
            let launch = try await recordLaunch(store, plan: testPlan(maxLifetimeSeconds: 600), now: clock.now())
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .ready })
            await reconciler.tick()
            #expect(try await state(store, launch.id) == .ready)  // Not yet.
            clock.advance(601)
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .failed })
            #expect(try await store.launch(id: launch.id)?.error?.kind == "limitExceeded")
            #expect(try await stampedAlive(launcher).isEmpty)
            await store.close()
        }
    }

    @Test func podsThatAreNotThisInstallationsAreNeverTouched() async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            // A CLI pod, and a pod stamped by another installation of the service.
            let cli = try await launcher.createPod(LaunchSpec(gpuTypeIDs: ["NVIDIA GeForce RTX 4090"], networkVolumeID: nil))
            let other = try await launcher.createPod(
                LaunchSpec(gpuTypeIDs: ["NVIDIA GeForce RTX 4090"], networkVolumeID: nil, env: [ServiceStamp.key: "another-installation"]))
            let store = try await openStore(scratchDatabase())
            let reconciler = Reconciler(store: store, launcher: launcher)
            let launch = try await recordLaunch(store)
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .ready })
            for _ in 0..<5 { await reconciler.tick() }
            await reconciler.drain()
            let alive = Set(try await launcher.client.listPods().filter { $0.status != .terminated }.map(\.id))
            #expect(alive.contains(cli.id) && alive.contains(other.id))
            await store.close()
        }
    }

    @Test func aPodOfThisInstallationThatNoLaunchWantsIsTerminated() async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let store = try await openStore(scratchDatabase())
            let stray = try await launcher.createPod(
                LaunchSpec(gpuTypeIDs: ["NVIDIA GeForce RTX 4090"], networkVolumeID: nil, env: [ServiceStamp.key: store.installationID]))
            let reconciler = Reconciler(store: store, launcher: launcher)
            #expect(
                try await reconcile(reconciler) {
                    try await launcher.client.listPods().first { $0.id == stray.id && $0.status != .terminated } == nil
                })
            await store.close()
        }
    }

    @Test func whileRunPodIsDownALaunchWaitsAndIsCreatedOnceItIsBack() async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let store = try await openStore(scratchDatabase())
            let reconciler = Reconciler(store: store, launcher: launcher)
            await emulator.setFaults([FaultRule(kind: .serverError(status: 503))])
            let launch = try await recordLaunch(store)
            for _ in 0..<3 {
                await reconciler.tick()
                await reconciler.drain()
            }
            let waiting = try #require(try await store.launch(id: launch.id))
            #expect(!waiting.state.isFinal && waiting.podID == nil)
            await emulator.setFaults([])
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .ready })
            #expect(try await stampedAlive(launcher).count == 1)
            await store.close()
        }
    }

    @Test("the reconciler reports going quiet once after each burst of work, never while idle or busy")
    func goingQuietIsReportedOnceAfterEachBurst() async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let store = try await openStore(scratchDatabase())
            let quiet = Mutex(0)
            let reconciler = Reconciler(store: store, launcher: launcher, onQuiet: { quiet.withLock { $0 += 1 } })
            await reconciler.tick()
            #expect(quiet.withLock { $0 } == 0)  // Idle from the start: nothing to report.
            let launch = try await recordLaunch(store)
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .ready })
            #expect(quiet.withLock { $0 } == 0)  // Busy until now.
            for _ in 0..<3 { await reconciler.tick() }
            #expect(quiet.withLock { $0 } == 1)  // The first tick with nothing between states, and only that one.
            var ending = try #require(try await store.launch(id: launch.id))
            ending.state = .terminating
            try #require(try await store.update(ending) != nil)
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .terminated })
            #expect(quiet.withLock { $0 } == 1)
            for _ in 0..<2 { await reconciler.tick() }
            #expect(quiet.withLock { $0 } == 2)
            await store.close()
        }
    }
}
