import Foundation
import PodLauncher
import SQLKit
import Testing

@testable import PodService

/// The store on a real SQLite file and, when a server is configured, a real PostgreSQL database: migrations, compare-and-set, idempotency keys, pages, events.
@Suite struct StoreTests {
    @Test(arguments: Backend.available) func reopeningKeepsTheInstallationIDAndTheLaunchesAndRunsNoMigrationTwice(_ backend: Backend) async throws {
        let database = try await scratchDatabase(backend)
        let first = try await openStore(database)
        let launch = try await recordLaunch(first, plan: testPlan(maxCostUSD: 2.5, env: ["A": "b=c"]), name: "kept")
        await first.close()
        let second = try await openStore(database)
        #expect(second.installationID == first.installationID)
        let reread = try #require(try await second.launch(id: launch.id))
        #expect(reread.name == launch.name && reread.plan == launch.plan && reread.state == .pending && reread.version == launch.version)
        #expect(abs(reread.createdAt.timeIntervalSince(launch.createdAt)) < 0.001)  // Stored as seconds since 1970.
        #expect(reread.plan.spec.env == ["A": "b=c"] && reread.plan.maxCostUSD == 2.5)
        #expect(try await second.schemaVersion() == StoreMigrations.latest)
        await second.close()
    }

    @Test(arguments: Backend.available) func aWriteBasedOnAStaleVersionIsRefusedAndWritesNoEvent(_ backend: Backend) async throws {
        let store = try await openStore(try await scratchDatabase(backend))
        let launch = try await recordLaunch(store)
        var creating = launch
        creating.state = .creating
        let stored = try #require(try await store.update(creating))
        #expect(stored.version == launch.version + 1)
        var stale = launch
        stale.state = .terminating
        #expect(try await store.update(stale) == nil)
        #expect(try await store.launch(id: launch.id)?.state == .creating)
        #expect(try await store.events(after: 0).map(\.state) == [.pending, .creating])
        // A write that changes no state writes no event.
        var rated = stored
        rated.costPerHour = 0.69
        #expect(try await store.update(rated)?.costPerHour == 0.69)
        #expect(try await store.events(after: 0).count == 2)
        await store.close()
    }

    @Test(arguments: Backend.available) func anIdempotencyKeyReplaysTheSameBodyAndRefusesAnother(_ backend: Backend) async throws {
        let store = try await openStore(try await scratchDatabase(backend))
        let key = LaunchStore.IdempotencyKey(key: "k-1", bodyDigest: #"{"a":1}"#)
        let first = Launch(id: Launch.newID(), name: "one", plan: testPlan(), createdAt: Date())
        guard case .created(let made) = try await store.create(first, idempotency: key) else {
            Issue.record("not created")
            return
        }
        let second = Launch(id: Launch.newID(), name: "two", plan: testPlan(), createdAt: Date())
        guard case .replayed(let replayed) = try await store.create(second, idempotency: key) else {
            Issue.record("the same key and body did not replay")
            return
        }
        #expect(replayed.id == made.id && replayed.name == "one")
        let other = LaunchStore.IdempotencyKey(key: "k-1", bodyDigest: #"{"a":2}"#)
        #expect(try await store.create(second, idempotency: other) == .conflict(launchID: made.id))
        #expect(try await store.launches(limit: 10).map(\.id) == [made.id])
        await store.close()
    }

    @Test(arguments: Backend.available) func pagesAreNewestFirstAndACursorContinuesWithoutGapsOrRepeats(_ backend: Backend) async throws {
        let store = try await openStore(try await scratchDatabase(backend))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var ids: [String] = []
        for index in 0..<7 { ids.append(try await recordLaunch(store, now: start.addingTimeInterval(Double(index % 3))).id) }
        var seen: [String] = []
        var cursor: ListCursor?
        repeat {
            let page = try await store.launches(limit: 3, after: cursor)
            seen += page.map(\.id)
            cursor = page.count == 3 ? page.last.map { ListCursor(after: $0) } : nil
        } while cursor != nil
        #expect(seen.count == 7 && Set(seen) == Set(ids))
        let all = try await store.launches(limit: 100)
        #expect(seen == all.map(\.id))
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.createdAt > $1.createdAt || ($0.createdAt == $1.createdAt && $0.id > $1.id) })
        let cursorText = ListCursor(after: all[2]).text
        #expect(ListCursor(cursorText) == ListCursor(after: all[2]))
        #expect(ListCursor("garbage") == nil)
        #expect(try await store.launches(states: [.ready], limit: 10).isEmpty)
        await store.close()
    }

    @Test(arguments: Backend.available) func eventsAreStrictlyIncreasingAndPruningKeepsTheNewest(_ backend: Backend) async throws {
        let clock = TestNow()
        let store = try await openStore(try await scratchDatabase(backend), now: clock.now)
        for _ in 0..<3 { _ = try await recordLaunch(store) }
        let events = try await store.events(after: 0)
        #expect(events.map(\.id) == [1, 2, 3])
        #expect(try await store.events(after: 2).map(\.id) == [3])
        clock.advance(8 * 24 * 3600)
        try await store.prune(eventRetention: 7 * 24 * 3600)
        let pruned = try await store.eventRange()
        #expect(pruned.oldest == 3 && pruned.newest == 3)
        _ = try await recordLaunch(store)
        let grown = try await store.eventRange()
        #expect(grown.oldest == 3 && grown.newest == 4)
        await store.close()
    }

    @Test func databaseURLsParseOrSayWhatToWrite() throws {
        #expect(try DatabaseLocation(parsing: "sqlite:/tmp/x.sqlite") == .sqlite(path: "/tmp/x.sqlite"))
        #expect(try DatabaseLocation(parsing: "sqlite:///tmp/x.sqlite") == .sqlite(path: "/tmp/x.sqlite"))
        #expect(throws: DatabaseLocationError.self) { try DatabaseLocation(parsing: "mysql://x") }
        #expect(throws: DatabaseLocationError.self) { try DatabaseLocation(parsing: "sqlite:") }
        let standard = DatabaseLocation.standard(environment: ["XDG_STATE_HOME": "/state", "HOME": "/home/u"])
        #expect(standard == .sqlite(path: "/state/runpod-launcher/service.sqlite"))

        // PostgreSQL: every part read, the password never shown.
        let url = try DatabaseLocation(parsing: "postgres://svc:s%40cret@db.internal:6543/launches?sslmode=require")
        #expect(
            url
                == .postgres(
                    PostgresLocation(host: "db.internal", port: 6543, username: "svc", password: "s@cret", database: "launches", tls: .require)))
        #expect(url.description == "postgres://svc:***@db.internal:6543/launches?sslmode=require")
        #expect(
            try DatabaseLocation(parsing: "postgresql://svc@localhost/x")
                == .postgres(PostgresLocation(host: "localhost", username: "svc", database: "x")))
        // As libpq: no user is this process's ($PGUSER first); allow and verify-ca are read as prefer and verify-full.
        guard case .postgres(let userless) = try DatabaseLocation(parsing: "postgres://localhost/x?sslmode=verify-ca") else {
            Issue.record("not PostgreSQL")
            return
        }
        #expect(!userless.username.isEmpty && userless.tls == .verifyFull)
        #expect(
            try DatabaseLocation(parsing: "postgres://u@h/x?sslmode=allow")
                == .postgres(PostgresLocation(host: "h", username: "u", database: "x", tls: .prefer)))
        for bad in [
            "postgres://svc:pw@host", "postgres://:pw@host/db", "postgres://svc:pw@host/db?sslmode=maybe", "postgres://svc:pw@host/db?pool=3",
        ] {
            #expect {
                try DatabaseLocation(parsing: bad)
            } throws: { error in
                let message = "\(error)"
                return !message.contains("pw") || !bad.contains(":pw@")
            }
        }
        // $RUNPOD_LAUNCHER_DATABASE when there is no flag; $PGPASSWORD when the URL has no password.
        let resolved = try DatabaseLocation.resolve(nil, environment: ["RUNPOD_LAUNCHER_DATABASE": "postgres://svc@h/db", "PGPASSWORD": "pw"])
        #expect(resolved == .postgres(PostgresLocation(host: "h", username: "svc", password: "pw", database: "db")))
        #expect(try DatabaseLocation.resolve("sqlite:/a", environment: ["RUNPOD_LAUNCHER_DATABASE": "postgres://svc@h/db"]) == .sqlite(path: "/a"))
    }

    /// CI sets `RUNPOD_LAUNCHER_TEST_REQUIRE_POSTGRES=1`: there the PostgreSQL half of the suite must not be skipped.
    @Test func thePostgresHalfRunsWhereCIAsksForIt() {
        if ProcessInfo.processInfo.environment["RUNPOD_LAUNCHER_TEST_REQUIRE_POSTGRES"] == "1" {
            #expect(Backend.available.contains(.postgres), "RUNPOD_LAUNCHER_TEST_POSTGRES is not set to a PostgreSQL URL")
        }
    }
}

/// Leases against a scale-down: both act on the launch row in one transaction each, so one of them loses.
@Suite struct LeaseRaceTests {
    @Test(arguments: Backend.available) func aLeaseIsNeverGivenOnAPodThatIsNoLongerReadyAndALeaseBeatsAStaleScaleDown(_ backend: Backend) async throws
    {
        let store = try await openStore(try await scratchDatabase(backend))
        var launch = try await recordLaunch(store)
        launch.state = .ready
        launch.readyAt = Date()
        let ready = try #require(try await store.update(launch))
        // A scale-down read the pool (the pod idle), then a lease came: the scale-down's write must fail.
        let staleRead = ready
        let lease = try #require(try await store.acquireLease(pool: "p", candidates: [ready], perPod: 1, ttl: 60))
        var ending = staleRead
        ending.state = .terminating
        #expect(try await store.update(ending) == nil)
        #expect(try await store.launch(id: ready.id)?.state == .ready)
        // The other way round: ended first, then a lease request with the stale list gets nothing.
        _ = try await store.releaseLease(id: lease.id)
        let current = try #require(try await store.launch(id: ready.id))
        var ended = current
        ended.state = .terminating
        #expect(try await store.update(ended) != nil)
        #expect(try await store.acquireLease(pool: "p", candidates: [current], perPod: 1, ttl: 60) == nil)
        await store.close()
    }

    @Test(arguments: Backend.available) func leasesOnAnEndedLaunchHoldNothing(_ backend: Backend) async throws {
        let store = try await openStore(try await scratchDatabase(backend))
        var launch = try await recordLaunch(store)
        launch.state = .ready
        let ready = try #require(try await store.update(launch))
        _ = try #require(try await store.acquireLease(pool: "p", candidates: [ready], perPod: 1, ttl: 3600))
        #expect(try await store.heldLeases(pool: "p").count == 1)
        var failed = try #require(try await store.launch(id: ready.id))
        failed.state = .failed
        _ = try #require(try await store.update(failed))
        #expect(try await store.heldLeases(pool: "p").isEmpty)
        await store.close()
    }
}
