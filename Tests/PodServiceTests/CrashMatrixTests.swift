import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

@testable import PodService

/// The service dies (`kill -9`: the step in flight never writes again) at each step of a launch's create and
/// terminate; a new service on the same database (a SQLite file, or PostgreSQL when configured) reconciles. Within a few ticks every pod carrying the stamp is
/// tracked by a launch or terminated, no launch has two pods, and the launch ends where it was going.
@Suite struct CrashMatrixTests {
    static let createPoints: [CrashPoint] = [.beforeCreate, .afterCreateAnswered, .beforeReady]
    static let terminatePoints: [CrashPoint] = [.beforeTerminate, .afterTerminateConfirmed]

    @Test(arguments: createPoints, Backend.available)
    func aCrashWhileCreatingEndsReadyWithOnePod(point: CrashPoint, backend: Backend) async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let clock = TestNow()
            let database = try await scratchDatabase(backend)
            let first = try await openStore(database, now: clock.now)
            let crash = Crash(at: point)
            let dying = Reconciler(store: first, launcher: launcher, now: clock.now, crashHook: crash.hook)
            let launch = try await recordLaunch(first, now: clock.now())
            #expect(
                await eventually {
                    await dying.tick()
                    return crash.happened
                })
            await first.close()  // The dead process's connections go with it.

            // The restart: a new store on the same file, a new reconciler. A create never sent waits out the settle
            // time (a lost answer may still land), then goes again.
            let store = try await openStore(database, now: clock.now)
            #expect(store.installationID == first.installationID)
            let reconciler = Reconciler(store: store, launcher: launcher, now: clock.now)
            if point == .beforeCreate { clock.advance(ReconcilerSettings().createSettle + 1) }
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .ready })
            let ready = try #require(try await store.launch(id: launch.id))
            for _ in 0..<3 {
                await reconciler.tick()
                await reconciler.drain()
            }
            #expect(try await stampedAlive(launcher) == [launch.id: [try #require(ready.podID)]])
            #expect(try await store.launch(id: launch.id)?.podID == ready.podID)
            await store.close()
        }
    }

    @Test(arguments: terminatePoints, Backend.available)
    func aCrashWhileTerminatingEndsTerminatedWithNoPod(point: CrashPoint, backend: Backend) async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let database = try await scratchDatabase(backend)
            let first = try await openStore(database)
            let crash = Crash(at: point)
            let dying = Reconciler(store: first, launcher: launcher, crashHook: crash.hook)
            let launch = try await recordLaunch(first)
            #expect(try await reconcile(dying) { try await state(first, launch.id) == .ready })
            var ending = try #require(try await first.launch(id: launch.id))
            ending.state = .terminating
            try #require(try await first.update(ending) != nil)
            #expect(
                await eventually {
                    await dying.tick()
                    return crash.happened
                })
            await first.close()

            let store = try await openStore(database)
            let reconciler = Reconciler(store: store, launcher: launcher)
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .terminated })
            #expect(try await stampedAlive(launcher).isEmpty)
            await store.close()
        }
    }

    /// The create reached RunPod, its answer never came back, and the service died waiting: after the restart the
    /// pod is adopted by its launch ID, never created twice.
    @Test(arguments: Backend.available) func aCreateWhoseAnswerWasLostIsAdoptedAfterARestart(_ backend: Backend) async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let database = try await scratchDatabase(backend)
            let first = try await openStore(database)
            await emulator.setFaults([FaultRule(operation: "createPod", kind: .dropConnectionAfterApply, times: 1)])
            let crash = Crash(at: .afterCreateAnswered)
            let dying = Reconciler(store: first, launcher: launcher, crashHook: crash.hook)
            let launch = try await recordLaunch(first)
            await dying.tick()  // Sends the create; the answer is lost.
            #expect(await eventually { crash.happened })  // The lost answer's pod was found; the service dies there.
            #expect(try await stampedAlive(launcher)[launch.id]?.count == 1)
            await first.close()

            let store = try await openStore(database)
            let reconciler = Reconciler(store: store, launcher: launcher)
            #expect(try await reconcile(reconciler) { try await state(store, launch.id) == .ready })
            #expect(try await stampedAlive(launcher)[launch.id]?.count == 1)
            await store.close()
        }
    }
}
