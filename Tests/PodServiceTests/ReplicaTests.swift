import Foundation
import Logging
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Synchronization
import TestSupport
import Testing

@testable import PodService

/// Several replicas on one database: one leader at a time by the database's own lock, failover when it goes,
/// migrations safe to run at once, and every replica hearing every commit.
@Suite struct ReplicaTests {
    /// Waits (polling, bounded so a failure never hangs) until `condition` holds.
    private func within(_ seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    private static var postgres: [Backend] { Backend.available.filter { $0 == .postgres } }

    @Test(arguments: Backend.available) func twoReplicasStartingAtOnceMigrateOnceAndShareOneInstallation(_ backend: Backend) async throws {
        let database = try await scratchDatabase(backend)
        async let a = openStore(database)
        async let b = openStore(database)
        let (first, second) = try await (a, b)
        #expect(first.installationID == second.installationID)
        #expect(try await first.schemaVersion() == StoreMigrations.latest)
        await first.close()
        await second.close()
    }

    @Test(arguments: Backend.available) func exactlyOneReplicaLeadsAndAnotherTakesOverWhenItGoes(_ backend: Backend) async throws {
        let database = try await scratchDatabase(backend)
        if case .sqlite(let path) = database {  // The lock file sits beside the database file.
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        let logger = Logger(label: "test.leader")
        let replicas = (0..<3).map { _ in Leadership.forDatabase(database, interval: .milliseconds(50), logger: logger) }
        let running = replicas.map { leadership in Task { await leadership.run() } }
        #expect(await within(10) { replicas.filter(\.isLeader).count == 1 })
        try? await Task.sleep(for: .milliseconds(300))  // Several rounds: still exactly one.
        #expect(replicas.filter(\.isLeader).count == 1)

        // The leader goes (its lock goes with its connection or file descriptor): one of the others leads.
        let leader = try #require(replicas.firstIndex { $0.isLeader })
        running[leader].cancel()
        await running[leader].value
        #expect(!replicas[leader].isLeader)
        #expect(await within(10) { replicas.enumerated().filter { $0.offset != leader && $0.element.isLeader }.count == 1 })
        for task in running { task.cancel() }
        for task in running { await task.value }
        #expect(replicas.allSatisfy { !$0.isLeader })
    }

    /// Lease requests queue across replicas: the oldest, wherever it was made, is first; those that found no slot
    /// count as demand on every replica; a dead replica's requests stop counting once their wait is over; and the
    /// leader's last decision (with the pods draining) is what every replica shows.
    @Test(arguments: Backend.available) func leaseRequestsAndPoolDecisionsAreSharedByEveryReplica(_ backend: Backend) async throws {
        let database = try await scratchDatabase(backend)
        let clock = FrozenNow()  // Liveness is seconds: only the test moves this clock, however slow the machine.
        let a = try await openStore(database, now: clock.now)
        let b = try await openStore(database, now: clock.now)
        try await a.enqueueLeaseRequest(pool: "p", id: "first", waitSeconds: 60)
        clock.advance(0.01)
        try await b.enqueueLeaseRequest(pool: "p", id: "second", waitSeconds: 600)
        try await b.enqueueLeaseRequest(pool: "other", id: "elsewhere", waitSeconds: 60)
        #expect(try await b.isFirstLeaseRequest(pool: "p", id: "first"))
        #expect(try await !a.isFirstLeaseRequest(pool: "p", id: "second"))
        #expect(try await a.isFirstLeaseRequest(pool: "other", id: "elsewhere"))
        #expect(try await b.waitingLeaseRequests(pool: "p") == 0)  // None has found the pool full yet.
        try await a.markLeaseRequestWaiting(id: "first")
        try await b.markLeaseRequestWaiting(id: "second")
        #expect(try await a.waitingLeaseRequests(pool: "p") == 2)
        // The replica holding "first" dies (no more heartbeats) while b's beats on: "first" counts until its
        // liveness runs out, though its own wait is not over, and then "second" leads.
        clock.advance(LaunchStore.leaseRequestLiveness - 1)
        try await b.refreshLeaseRequests()
        #expect(try await b.waitingLeaseRequests(pool: "p") == 2)
        clock.advance(2)
        try await b.refreshLeaseRequests()
        #expect(try await b.waitingLeaseRequests(pool: "p") == 1)
        #expect(try await b.isFirstLeaseRequest(pool: "p", id: "second"))
        // Past its own wait (and the grace), a request stops counting even while its replica beats.
        clock.advance(600 + LaunchStore.leaseRequestGrace)
        try await b.refreshLeaseRequests()
        #expect(try await b.waitingLeaseRequests(pool: "p") == 0)
        try await b.leaveLeaseRequest(id: "second")
        try await a.leaveLeaseRequest(id: "first")
        #expect(a.openLeaseRequests.load(ordering: .relaxed) == 0)

        var status = PoolRuntime.Status()
        status.decision = ScalingDecision(desired: 3, reason: "demand 3 ÷ 1 per pod → 3")
        status.draining = ["launch-x"]
        let start = clock.now()
        status.history = (0..<100).map { PoolRuntime.Sample(at: start.addingTimeInterval(Double($0) * 2), demand: $0, desired: 3, pods: 2) }
        try await a.putPoolStatus("p", status)
        let seen = try #require(try await b.poolStatus("p"))
        #expect(seen.decision == status.decision && seen.draining == ["launch-x"])
        // The stored chart keeps a point every 20 s (and the newest), not every tick.
        #expect(seen.history.count == 11 && seen.history.first == status.history.first && seen.history.last == status.history.last)
        #expect(try await b.poolStatus("unknown") == nil)
        await a.close()
        await b.close()
    }

    /// The leader's connection is cut (the server ends its session): it stops leading at once, before anyone could
    /// take the lock, and leads again only after it holds the lock anew.
    @Test(arguments: postgres) func aLeaderWhoseConnectionIsCutStopsLeadingAtOnce(_ backend: Backend) async throws {
        let database = try await scratchDatabase(backend)
        let leadership = Leadership.forDatabase(database, interval: .milliseconds(200), logger: Logger(label: "test.leader"))
        let holding = Task { await leadership.run() }
        #expect(await within(10) { leadership.isLeader })
        let store = try await openStore(database)
        try await store.reader.raw(
            """
            SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objid::bigint = \(bind: Int64(UInt32(truncatingIfNeeded: Leadership.leaderLockKey)))
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """
        ).run()
        #expect(await within(10) { leadership.stepDowns == 1 }, "the leader kept leading after its connection was cut")
        #expect(await within(10) { leadership.isLeader })  // It reconnects and takes the free lock again.
        holding.cancel()
        await holding.value
        await store.close()
    }

    @Test(arguments: postgres) func aCommitOnOneReplicaWakesTheOthersStreams(_ backend: Backend) async throws {
        let database = try await scratchDatabase(backend)
        let writer = try await openStore(database)
        let other = try await openStore(database)
        var wakes = other.changes.subscribe().makeAsyncIterator()
        try? await Task.sleep(for: .milliseconds(300))  // The other replica's LISTEN is in place.
        let launch = try await recordLaunch(writer)
        let heard = await wakes.next()
        #expect(heard != nil)
        #expect(try await other.events(after: 0).map(\.launchID) == [launch.id])
        await writer.close()
        await other.close()
    }

    /// Two services on one PostgreSQL database: launches posted on the follower are created by the leader alone; the
    /// leader dies mid-work (its steps never finish, its lock goes); the follower takes over and every launch ends
    /// ready with exactly one pod.
    @Test(arguments: postgres) func theFollowerFinishesWhatTheLeaderStartedWithOnePodPerLaunch(_ backend: Backend) async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator, ledger: nil)
            let database = try await scratchDatabase(backend)
            let logger = Logger(label: "test.replicas")
            let clock = TestNow()
            let leaderStore = try await openStore(database, now: clock.now)
            let followerStore = try await openStore(database, now: clock.now)
            let leaderLock = Leadership.forDatabase(database, interval: .milliseconds(50), logger: logger)
            let leaderHolding = Task { await leaderLock.run() }
            #expect(await within(10) { leaderLock.isLeader })
            let followerLock = Leadership.forDatabase(database, interval: .milliseconds(50), logger: logger)
            let followerHolding = Task { await followerLock.run() }
            let crash = Crash(at: .afterCreateAnswered)
            let leader = Reconciler(store: leaderStore, launcher: launcher, now: clock.now, crashHook: crash.hook, leadership: leaderLock)
            let follower = Reconciler(store: followerStore, launcher: launcher, now: clock.now, leadership: followerLock)

            var launches: [Launch] = []
            for _ in 0..<4 { launches.append(try await recordLaunch(followerStore)) }
            await follower.tick()  // Not the leader: does nothing.
            #expect(try await followerStore.liveLaunches().allSatisfy { $0.state == .pending })
            #expect(
                await within(20) {
                    await leader.tick()
                    return crash.happened
                })
            // The leader dies: its lock goes with its connection.
            leader.abandon()
            leaderHolding.cancel()
            await leaderHolding.value
            await leaderStore.close()
            #expect(await within(10) { followerLock.isLeader })
            // Creates the dead leader had sent wait out the settle time (a lost answer may still land), then go again.
            clock.advance(ReconcilerSettings().createSettle + 1)
            let ids = Set(launches.map(\.id))
            #expect(
                try await reconcile(follower) {
                    try await followerStore.liveLaunches().filter { ids.contains($0.id) }.allSatisfy { $0.state == .ready }
                })
            for _ in 0..<3 {
                await follower.tick()
                await follower.drain()
            }
            let alive = try await stampedAlive(launcher)
            #expect(Set(alive.keys) == ids)
            #expect(alive.values.allSatisfy { $0.count == 1 })
            for launch in launches {
                #expect(try await followerStore.launch(id: launch.id)?.podID == alive[launch.id]?.first)
            }
            followerHolding.cancel()
            await followerHolding.value
            await followerStore.close()
        }
    }
}

/// A clock that stands still until a test moves it.
final class FrozenNow: Sendable {
    private let current = Mutex(Date())
    var now: @Sendable () -> Date { { self.current.withLock { $0 } } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
