import Foundation
import PodLauncher
import SQLKit

/// A pool as stored: its settings, where they came from, and whether it is being deleted.
public struct StoredPool: Sendable, Hashable {
    public var settings: PoolSettings
    /// `config` (profiles.toml, applied at each start) or `api` (`PUT /v1/pools/{name}`).
    public var origin: String
    /// `DELETE /v1/pools/{name}` was asked: drain, terminate everything, then the pool goes.
    public var deleting: Bool
}

/// A worker's hold on one slot of a ready pod.
public struct Lease: Sendable, Hashable {
    public var id: String
    public var pool: String
    public var launchID: String
    public var createdAt: Date
    public var expiresAt: Date
    public var releasedAt: Date?

    /// Held: not released and not expired at `now`.
    public func isHeld(at now: Date) -> Bool { releasedAt == nil && expiresAt > now }
}

/// Pools, leases and pushed demand, in the same database and transactions as the launches.
extension LaunchStore {
    // MARK: Pools

    public func pools() async throws -> [StoredPool] {
        try await reader.raw("SELECT name, settings, origin, deleting FROM pools ORDER BY name").all().map(Self.pool)
    }

    public func pool(named name: String) async throws -> StoredPool? {
        try await reader.raw("SELECT name, settings, origin, deleting FROM pools WHERE name = \(bind: name)").first().map(Self.pool)
    }

    /// Creates or replaces a pool's settings; returns true when it was new. A pool being deleted is not revived.
    @discardableResult
    public func putPool(_ settings: PoolSettings, origin: String) async throws -> Bool {
        let text = try Self.json(settings)
        return try await transaction { db in
            let existing = try await db.raw("SELECT deleting FROM pools WHERE name = \(bind: settings.name)").first()
            if let existing, try existing.decode(column: "deleting", as: Int.self) != 0 {
                throw StoreError("pool \(settings.name) is being deleted; wait until it is gone, then create it again")
            }
            try await db.raw(
                """
                INSERT INTO pools (name, settings, origin, deleting) VALUES (\(bind: settings.name), \(bind: text), \(bind: origin), 0)
                ON CONFLICT (name) DO UPDATE SET settings = \(bind: text), origin = \(bind: origin)
                """
            ).run()
            return (existing == nil, nil)
        }
    }

    /// Marks a pool for deletion; false when there is no such pool.
    public func markPoolDeleting(_ name: String) async throws -> Bool {
        try await transaction { db in
            guard try await db.raw("SELECT name FROM pools WHERE name = \(bind: name)").first() != nil else { return (false, nil) }
            try await db.raw("UPDATE pools SET deleting = 1 WHERE name = \(bind: name)").run()
            return (true, nil)
        }
    }

    /// Removes a pool's row and its demand (once its pods are gone).
    public func removePool(_ name: String) async throws {
        try await transaction { db in
            try await db.raw("DELETE FROM pools WHERE name = \(bind: name)").run()
            try await db.raw("DELETE FROM pool_demand WHERE pool = \(bind: name)").run()
            try await db.raw("DELETE FROM pool_status WHERE pool = \(bind: name)").run()
            try await db.raw("DELETE FROM lease_requests WHERE pool = \(bind: name)").run()
            return ((), nil)
        }
        await wake()
    }

    private static func pool(_ row: any SQLRow) throws -> StoredPool {
        let text = try row.decode(column: "settings", as: String.self)
        return StoredPool(
            settings: try JSONDecoder().decode(PoolSettings.self, from: Data(text.utf8)), origin: try row.decode(column: "origin", as: String.self),
            deleting: try row.decode(column: "deleting", as: Int.self) != 0)
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    // MARK: Leases

    /// Takes a slot on one of `candidates` (ready pods of `pool` that take leases) in one transaction: the least loaded
    /// pod with a free slot (fewer held leases than `perPod`), then the oldest. Nil when every slot is taken.
    public func acquireLease(pool: String, candidates: [Launch], perPod: Int, ttl: TimeInterval) async throws -> Lease? {
        let now = clock()
        guard !candidates.isEmpty else { return nil }
        let lease = try await transaction { db -> (Lease?, Int64?) in
            var load: [String: Int] = [:]
            let ids = candidates.map(\.id) as [any Encodable & Sendable]
            for row in try await db.raw(
                """
                SELECT launch_id, COUNT(*) AS n FROM leases
                WHERE launch_id IN (\(binds: ids)) AND released_at IS NULL AND expires_at > \(bind: now.timeIntervalSince1970)
                GROUP BY launch_id
                """
            ).all() {
                load[try row.decode(column: "launch_id", as: String.self)] = try row.decode(column: "n", as: Int.self)
            }
            let open = candidates.filter { (load[$0.id] ?? 0) < perPod }.sorted { a, b in
                let (la, lb) = (load[a.id] ?? 0, load[b.id] ?? 0)
                return la != lb ? la < lb : (a.readyAt ?? a.createdAt, a.id) < (b.readyAt ?? b.createdAt, b.id)
            }
            // The candidates were read before this transaction: take the first that is still ready, and bump its
            // version, so a scale-down that read it before this lease (and would end it as idle) loses its
            // compare-and-set and looks again, seeing the lease.
            var chosen: Launch?
            for candidate in open {
                guard let row = try await db.raw("SELECT state FROM launches WHERE id = \(bind: candidate.id)").first(),
                    try row.decode(column: "state", as: String.self) == LaunchState.ready.rawValue
                else { continue }
                try await db.raw("UPDATE launches SET version = version + 1 WHERE id = \(bind: candidate.id)").run()
                chosen = candidate
                break
            }
            guard let chosen else { return (nil, nil) }
            let lease = Lease(
                id: PodIdentity.randomHex(32), pool: pool, launchID: chosen.id, createdAt: now, expiresAt: now.addingTimeInterval(ttl))
            try await db.raw(
                """
                INSERT INTO leases (id, pool, launch_id, created_at, expires_at)
                VALUES (\(bind: lease.id), \(bind: pool), \(bind: chosen.id), \(bind: now.timeIntervalSince1970), \(bind: lease.expiresAt.timeIntervalSince1970))
                """
            ).run()
            return (lease, nil)
        }
        return lease
    }

    public func lease(id: String) async throws -> Lease? {
        try await reader.raw("SELECT * FROM leases WHERE id = \(bind: id)").first().map(Self.lease)
    }

    /// Extends a held lease to `ttl` from now; nil when unknown, released or expired.
    public func renewLease(id: String, ttl: TimeInterval) async throws -> Lease? {
        let now = clock()
        return try await transaction { db in
            guard let row = try await db.raw("SELECT * FROM leases WHERE id = \(bind: id)").first() else { return (nil, nil) }
            var lease = try Self.lease(row)
            guard lease.isHeld(at: now) else { return (nil, nil) }
            lease.expiresAt = now.addingTimeInterval(ttl)
            try await db.raw("UPDATE leases SET expires_at = \(bind: lease.expiresAt.timeIntervalSince1970) WHERE id = \(bind: id)").run()
            return (lease, nil)
        }
    }

    /// Releases a lease (its slot is free at once); nil when unknown. Releasing twice is harmless.
    public func releaseLease(id: String) async throws -> Lease? {
        let now = clock()
        let lease = try await transaction { db -> (Lease?, Int64?) in
            guard let row = try await db.raw("SELECT * FROM leases WHERE id = \(bind: id)").first() else { return (nil, nil) }
            var lease = try Self.lease(row)
            if lease.releasedAt == nil {
                lease.releasedAt = now
                try await db.raw("UPDATE leases SET released_at = \(bind: now.timeIntervalSince1970) WHERE id = \(bind: id)").run()
            }
            return (lease, nil)
        }
        await wake()  // A slot is free: waiting lease requests look again, on every replica.
        return lease
    }

    /// Leases held now (not released, not expired), of one pool or all.
    public func heldLeases(pool: String? = nil) async throws -> [Lease] {
        let now = clock().timeIntervalSince1970
        // A lease on a launch that ended holds nothing (its pod is gone), whatever its TTL says.
        var query = SQLQueryString(
            """
            SELECT leases.* FROM leases JOIN launches ON launches.id = leases.launch_id
            WHERE leases.released_at IS NULL AND leases.expires_at > \(bind: now) AND launches.state NOT IN ('terminated', 'failed')
            """)
        if let pool { query.appendInterpolation(" AND leases.pool = \(bind: pool)" as SQLQueryString) }
        return try await reader.raw(query).all().map(Self.lease)
    }

    private static func lease(_ row: any SQLRow) throws -> Lease {
        Lease(
            id: try row.decode(column: "id", as: String.self), pool: try row.decode(column: "pool", as: String.self),
            launchID: try row.decode(column: "launch_id", as: String.self),
            createdAt: Date(timeIntervalSince1970: try row.decode(column: "created_at", as: Double.self)),
            expiresAt: Date(timeIntervalSince1970: try row.decode(column: "expires_at", as: Double.self)),
            releasedAt: try row.decode(column: "released_at", as: Double?.self).map { Date(timeIntervalSince1970: $0) })
    }

    // MARK: Pushed demand

    /// Records a backlog pushed for `pool`, valid for `ttl`.
    public func pushDemand(pool: String, backlog: Int, ttl: TimeInterval) async throws {
        let expires = clock().addingTimeInterval(ttl).timeIntervalSince1970
        try await transaction { db in
            try await db.raw(
                """
                INSERT INTO pool_demand (pool, backlog, expires_at) VALUES (\(bind: pool), \(bind: backlog), \(bind: expires))
                ON CONFLICT (pool) DO UPDATE SET backlog = \(bind: backlog), expires_at = \(bind: expires)
                """
            ).run()
            return ((), nil)
        }
    }

    /// The pushed backlog still valid; nil when none was pushed or it expired.
    public func pushedDemand(pool: String) async throws -> Int? {
        let now = clock().timeIntervalSince1970
        return try await reader.raw("SELECT backlog FROM pool_demand WHERE pool = \(bind: pool) AND expires_at > \(bind: now)").first()?
            .decode(column: "backlog", as: Int.self)
    }

    /// The live launches of a pool.
    public func poolLaunches(_ pool: String) async throws -> [Launch] {
        let states = LaunchState.live.map(\.rawValue) as [any Encodable & Sendable]
        return try await reader.raw("SELECT * FROM launches WHERE pool = \(bind: pool) AND state IN (\(binds: states)) ORDER BY created_at, id").all()
            .map(LaunchColumns.launch)
    }
}
