import Foundation
import PodLauncher
import SQLKit

/// What every replica must see of a pool, kept in the database rather than in the leader's memory: the lease
/// requests waiting (their arrival order decides who takes the next free slot, and those that found none count as
/// demand) and the pool's last decision (demand, desired count and why, pods draining, the last hour's chart), which
/// the leader writes each tick and any replica shows.
extension LaunchStore {
    // MARK: Lease requests waiting

    /// How long past its own wait a request's row counts (its replica removes it when the request ends).
    static let leaseRequestGrace: TimeInterval = 30
    /// How long a request's row counts without its replica's heartbeat (`refreshLeaseRequests`, every second): a
    /// replica that dies while its request is first in line holds the queue up for at most this long.
    static let leaseRequestLiveness: TimeInterval = 5

    /// Puts a lease request at the back of `pool`'s queue.
    func enqueueLeaseRequest(pool: String, id: String, waitSeconds: Int) async throws {
        let now = clock().timeIntervalSince1970
        let expires = now + Double(waitSeconds) + Self.leaseRequestGrace
        let replica = replicaID
        try await transaction { db in
            try await db.raw(
                """
                INSERT INTO lease_requests (id, pool, replica, created_at, expires_at, alive_until, waiting)
                VALUES (\(bind: id), \(bind: pool), \(bind: replica), \(bind: now), \(bind: expires), \(bind: now + Self.leaseRequestLiveness), 0)
                """
            ).run()
            return ((), nil)
        }
        openLeaseRequests.add(1, ordering: .relaxed)
    }

    /// This replica's heartbeat for its lease requests (one write, and none while it has none).
    func refreshLeaseRequests() async throws {
        guard openLeaseRequests.load(ordering: .relaxed) > 0 else { return }
        let aliveUntil = clock().timeIntervalSince1970 + Self.leaseRequestLiveness
        let replica = replicaID
        try await transaction { db in
            try await db.raw("UPDATE lease_requests SET alive_until = \(bind: aliveUntil) WHERE replica = \(bind: replica)").run()
            return ((), nil)
        }
    }

    /// The request found no free slot: from now on it counts as demand.
    func markLeaseRequestWaiting(id: String) async throws {
        try await transaction { db in
            try await db.raw("UPDATE lease_requests SET waiting = 1 WHERE id = \(bind: id)").run()
            return ((), nil)
        }
    }

    /// Takes the request out of the queue (served, timed out or gone), drops rows left by dead replicas, and tells
    /// the waiters on every replica to look again (the next one may now be first).
    func leaveLeaseRequest(id: String) async throws {
        let now = clock().timeIntervalSince1970
        defer { openLeaseRequests.subtract(1, ordering: .relaxed) }
        try await transaction { db in
            try await db.raw(
                "DELETE FROM lease_requests WHERE id = \(bind: id) OR expires_at <= \(bind: now) OR alive_until <= \(bind: now)"
            ).run()
            return ((), nil)
        }
        await wake()
    }

    /// Whether `id` is the oldest lease request of `pool` still waiting: the only one that may take a slot now.
    func isFirstLeaseRequest(pool: String, id: String) async throws -> Bool {
        let now = clock().timeIntervalSince1970
        let row = try await reader.raw(
            """
            SELECT id FROM lease_requests WHERE pool = \(bind: pool) AND expires_at > \(bind: now) AND alive_until > \(bind: now)
            ORDER BY created_at, id LIMIT 1
            """
        ).first()
        return try row?.decode(column: "id", as: String.self) == id
    }

    /// Lease requests of `pool` waiting for a slot now, on every replica (they count as demand).
    public func waitingLeaseRequests(pool: String) async throws -> Int {
        let now = clock().timeIntervalSince1970
        return try await reader.raw(
            """
            SELECT COUNT(*) AS n FROM lease_requests
            WHERE pool = \(bind: pool) AND waiting = 1 AND expires_at > \(bind: now) AND alive_until > \(bind: now)
            """
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    // MARK: The last decision

    /// Records the leader's view of a pool after a tick.
    func putPoolStatus(_ pool: String, _ status: PoolRuntime.Status) async throws {
        let text = try Self.json(status.stored)
        let now = clock().timeIntervalSince1970
        try await transaction { db in
            try await db.raw(
                """
                INSERT INTO pool_status (pool, status, updated_at) VALUES (\(bind: pool), \(bind: text), \(bind: now))
                ON CONFLICT (pool) DO UPDATE SET status = \(bind: text), updated_at = \(bind: now)
                """
            ).run()
            return ((), nil)
        }
    }

    /// The leader's last view of a pool; nil before its first tick.
    public func poolStatus(_ pool: String) async throws -> PoolRuntime.Status? {
        guard let row = try await reader.raw("SELECT status FROM pool_status WHERE pool = \(bind: pool)").first() else { return nil }
        return try JSONDecoder().decode(PoolRuntime.Status.self, from: Data(try row.decode(column: "status", as: String.self).utf8))
    }
}

extension PoolRuntime.Status {
    /// The copy to store: the chart's samples at least `sampleSpacing` apart (the page draws an hour; one point every
    /// 20 s is plenty, and keeps the row small however short the tick).
    var stored: Self {
        var copy = self
        var kept: [PoolRuntime.Sample] = []
        for sample in history where kept.last.map({ sample.at.timeIntervalSince($0.at) >= Self.sampleSpacing }) ?? true {
            kept.append(sample)
        }
        if let newest = history.last, kept.last != newest { kept.append(newest) }
        copy.history = kept
        return copy
    }

    static let sampleSpacing: TimeInterval = 20
}
