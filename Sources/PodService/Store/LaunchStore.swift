import Foundation
import Logging
import NIOCore
import PodLauncher
import SQLKit
import Synchronization

/// The service's durable state: launches, their events, idempotency keys and the installation's identity, in a real
/// database. Every query is written once, in SQL that SQLite and PostgreSQL both take (sql-kit renders the binds for
/// each), so the PostgreSQL backend adds a connection, not a second copy of a query.
///
/// Writes go through one transaction at a time (`SerialLock`), so event IDs commit in order and an SSE reader never
/// skips an ID that commits late. Every change to a launch is a compare-and-set on its `version`: a writer that lost
/// a race gets nil and reads again. A state change writes its event row in the same transaction.
public final class LaunchStore: Sendable {
    /// This installation's ID: made at the first start and kept in the database. Pods the service creates carry it
    /// (`RUNPOD_LAUNCHER_SERVICE`), so it touches only its own pods, never the CLI's or another installation's.
    public let installationID: String
    /// Committed events, for long-polls and SSE streams in this process.
    public let changes = ChangeFeed()
    /// Renders a launch as its API JSON, stored with each event (what SSE sends).
    let render: @Sendable (Launch) -> String
    /// The database's connections: SQLite's or PostgreSQL's, the only part that differs.
    let connections: any StoreConnections
    var reader: any SQLDatabase { connections.reader }
    private let lock = SerialLock()
    /// This process among the replicas (its lease requests' rows carry it).
    let replicaID = PodIdentity.randomHex(8)
    /// This process's lease requests not yet ended (the heartbeat writes nothing while there are none).
    let openLeaseRequests = Atomic<Int>(0)
    private let hearing: Task<Void, Never>?
    let clock: @Sendable () -> Date

    /// Opens (creating it if needed) the database at `location`, runs the migrations and loads the installation ID.
    public static func open(
        _ location: DatabaseLocation, logger: Logger = Logger(label: "runpod.service.store"), now: @escaping @Sendable () -> Date = { Date() },
        render: @escaping @Sendable (Launch) -> String
    ) async throws -> LaunchStore {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .info)  // Never log queries: binds carry names and env values.
        let connections: any StoreConnections
        switch location {
        case .sqlite, .sqliteMemory: connections = try await SQLiteConnections.open(location, logger: quiet)
        case .postgres(let postgres): connections = try await PostgresConnections.open(postgres, logger: quiet)
        }
        do {
            try await StoreMigrations.run(on: connections, logger: quiet)
            let installationID = try await connections.writeTransaction { db in try await Self.loadInstallationID(db) }
            return LaunchStore(installationID: installationID, connections: connections, now: now, render: render)
        } catch {
            await connections.close()
            throw error
        }
    }

    private init(
        installationID: String, connections: any StoreConnections, now: @escaping @Sendable () -> Date, render: @escaping @Sendable (Launch) -> String
    ) {
        self.installationID = installationID
        self.connections = connections
        self.clock = now
        self.render = render
        // Other replicas' commits wake this one's long-polls and streams.
        let changes = self.changes
        hearing = connections.announcements.map { announcements in
            Task { for await eventID in announcements { changes.publish(eventID) } }
        }
    }

    /// Closes the connections (after the last write).
    public func close() async {
        changes.finish()
        _ = try? await lock.run { await self.connections.close() }
        hearing?.cancel()
    }

    /// Tells waiters here and on the other replicas to look again (a slot was freed, a pool went).
    func wake() async {
        changes.publish(0)
        await connections.announce(0)
    }

    private static func loadInstallationID(_ db: any SQLDatabase) async throws -> String {
        if let row = try await db.raw("SELECT value FROM meta WHERE key = 'installation_id'").first() {
            return try row.decode(column: "value", as: String.self)
        }
        let id = PodIdentity.randomHex(16)
        try await db.raw("INSERT INTO meta (key, value) VALUES ('installation_id', \(bind: id))").run()
        return id  // Two replicas starting at once: the write lock makes the second read the first's.
    }

    // MARK: Transactions

    /// Runs `body` in one write transaction (one at a time, across replicas); the event it reports is announced after
    /// the commit, here and to the other replicas.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> (T, Int64?)) async throws -> T {
        let (value, eventID) = try await lock.run {
            try await self.connections.writeTransaction(wake: { $0.1 }, body)
        }
        if let eventID { changes.publish(eventID) }
        return value
    }

    private static func appendEvent(_ db: any SQLDatabase, launch: Launch, body: String, at now: Date) async throws -> Int64 {
        let row = try await db.raw("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM events").first()
        let id = try row?.decode(column: "next", as: Int64.self) ?? 1
        try await db.raw(
            """
            INSERT INTO events (id, launch_id, state, body, created_at)
            VALUES (\(bind: id), \(bind: launch.id), \(bind: launch.state.rawValue), \(bind: body), \(bind: now.timeIntervalSince1970))
            """
        ).run()
        return id
    }

    // MARK: Launches

    /// What `create` did.
    public enum CreateOutcome: Sendable, Hashable {
        /// A new launch, recorded with its first event.
        case created(Launch)
        /// The idempotency key was seen with the same body: the launch it made, as it is now.
        case replayed(Launch)
        /// The idempotency key was seen with another body.
        case conflict(launchID: String)
    }

    /// An `Idempotency-Key` and a digest of the body it came with.
    public struct IdempotencyKey: Sendable, Hashable {
        public var key: String
        public var bodyDigest: String
        public init(key: String, bodyDigest: String) {
            self.key = key
            self.bodyDigest = bodyDigest
        }
    }

    /// How long an idempotency key holds.
    public static let idempotencyWindow: TimeInterval = 24 * 3600

    /// Records a new launch (state pending) and its first event, in one transaction; with an idempotency key seen in
    /// the last 24 h, returns that key's launch instead (or a conflict when the body differs).
    public func create(_ launch: Launch, idempotency: IdempotencyKey? = nil) async throws -> CreateOutcome {
        let now = clock()
        let body = render(launch)
        return try await transaction { db in
            if let idempotency {
                let since = now.timeIntervalSince1970 - Self.idempotencyWindow
                if let row = try await db.raw(
                    "SELECT body_digest, launch_id FROM idempotency_keys WHERE key = \(bind: idempotency.key) AND created_at > \(bind: since)"
                ).first() {
                    let digest = try row.decode(column: "body_digest", as: String.self)
                    let launchID = try row.decode(column: "launch_id", as: String.self)
                    guard digest == idempotency.bodyDigest else { return (.conflict(launchID: launchID), nil) }
                    if let existing = try await Self.fetch(db, id: launchID) { return (.replayed(existing), nil) }
                }
                try await db.raw("DELETE FROM idempotency_keys WHERE key = \(bind: idempotency.key)").run()
                try await db.raw(
                    """
                    INSERT INTO idempotency_keys (key, body_digest, launch_id, created_at)
                    VALUES (\(bind: idempotency.key), \(bind: idempotency.bodyDigest), \(bind: launch.id), \(bind: now.timeIntervalSince1970))
                    """
                ).run()
            }
            let row = LaunchColumns(launch)
            try await db.raw(
                """
                INSERT INTO launches (id, state, version, name, pool, plan, pod_id, gpu_type_id, data_center_id, cost_per_hr, urls,
                    created_at, create_sent_at, pod_created_at, ready_at, ended_at, error_kind, error_message)
                VALUES (\(bind: row.id), \(bind: row.state), \(bind: row.version), \(bind: row.name), \(bind: row.pool), \(bind: row.plan),
                    \(bind: row.podID), \(bind: row.gpuTypeID), \(bind: row.dataCenterID), \(bind: row.costPerHour), \(bind: row.urls),
                    \(bind: row.createdAt), \(bind: row.createSentAt), \(bind: row.podCreatedAt), \(bind: row.readyAt), \(bind: row.endedAt),
                    \(bind: row.errorKind), \(bind: row.errorMessage))
                """
            ).run()
            let eventID = try await Self.appendEvent(db, launch: launch, body: body, at: now)
            return (.created(launch), eventID)
        }
    }

    /// Writes `changed` over the stored launch if it is still at `changed.version` (compare-and-set), bumping the
    /// version; a change of state writes its event in the same transaction. Returns the stored launch, or nil when
    /// someone else changed it first (read it again and decide again).
    @discardableResult
    public func update(_ changed: Launch) async throws -> Launch? {
        let now = clock()
        return try await transaction { db in
            guard let current = try await Self.fetch(db, id: changed.id), current.version == changed.version else { return (nil, nil) }
            var next = changed
            next.version += 1
            if next.state.isFinal && next.endedAt == nil { next.endedAt = now }
            let row = LaunchColumns(next)
            try await db.raw(
                """
                UPDATE launches SET state = \(bind: row.state), version = \(bind: row.version), name = \(bind: row.name),
                    pool = \(bind: row.pool), plan = \(bind: row.plan), pod_id = \(bind: row.podID), gpu_type_id = \(bind: row.gpuTypeID),
                    data_center_id = \(bind: row.dataCenterID), cost_per_hr = \(bind: row.costPerHour), urls = \(bind: row.urls),
                    create_sent_at = \(bind: row.createSentAt), pod_created_at = \(bind: row.podCreatedAt), ready_at = \(bind: row.readyAt),
                    ended_at = \(bind: row.endedAt), error_kind = \(bind: row.errorKind), error_message = \(bind: row.errorMessage)
                WHERE id = \(bind: row.id) AND version = \(bind: changed.version)
                """
            ).run()
            guard current.state != next.state else { return (next, nil) }
            let eventID = try await Self.appendEvent(db, launch: next, body: self.render(next), at: now)
            return (next, eventID)
        }
    }

    /// The schema version the database is at.
    public func schemaVersion() async throws -> Int {
        try await reader.raw("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version").first()?.decode(column: "v", as: Int.self) ?? 0
    }

    /// One launch, or nil.
    public func launch(id: String) async throws -> Launch? {
        try await Self.fetch(reader, id: id)
    }

    /// Every launch that is not final (what the reconciler acts on), oldest first.
    public func liveLaunches() async throws -> [Launch] {
        let states = LaunchState.live.map(\.rawValue) as [any Encodable & Sendable]
        let rows = try await reader.raw("SELECT * FROM launches WHERE state IN (\(binds: states)) ORDER BY created_at, id").all()
        return try rows.map(LaunchColumns.launch)
    }

    /// A page of launches, newest first (`createdAt`, then `id`, descending), after `cursor`.
    public func launches(states: [LaunchState] = [], pool: String? = nil, limit: Int, after cursor: ListCursor? = nil) async throws -> [Launch] {
        var query = SQLQueryString("SELECT * FROM launches WHERE 1 = 1")
        if !states.isEmpty {
            query.appendInterpolation(" AND state IN (\(binds: states.map(\.rawValue) as [any Encodable & Sendable]))" as SQLQueryString)
        }
        if let pool { query.appendInterpolation(" AND pool = \(bind: pool)" as SQLQueryString) }
        if let cursor {
            query.appendInterpolation(
                " AND (created_at < \(bind: cursor.createdAt) OR (created_at = \(bind: cursor.createdAt) AND id < \(bind: cursor.id)))"
                    as SQLQueryString)
        }
        query.appendInterpolation(" ORDER BY created_at DESC, id DESC LIMIT \(literal: max(0, limit))" as SQLQueryString)
        return try await reader.raw(query).all().map(LaunchColumns.launch)
    }

    /// Launches whose pod may have billed since `since`: live ones and those ended after it (the page's "spent today").
    public func launches(billingSince since: Date) async throws -> [Launch] {
        try await reader.raw("SELECT * FROM launches WHERE ended_at IS NULL OR ended_at >= \(bind: since.timeIntervalSince1970)").all()
            .map(LaunchColumns.launch)
    }

    /// How many launches are in each state (for `/metrics`).
    public func countsByState() async throws -> [LaunchState: Int] {
        var counts: [LaunchState: Int] = [:]
        for row in try await reader.raw("SELECT state, COUNT(*) AS n FROM launches GROUP BY state").all() {
            guard let state = LaunchState(rawValue: try row.decode(column: "state", as: String.self)) else { continue }
            counts[state] = try row.decode(column: "n", as: Int.self)
        }
        return counts
    }

    static func fetch(_ db: any SQLDatabase, id: String) async throws -> Launch? {
        try await db.raw("SELECT * FROM launches WHERE id = \(bind: id)").first().map(LaunchColumns.launch)
    }

    // MARK: Events

    /// One state change of a launch, as SSE sends it.
    public struct Event: Sendable, Hashable {
        public var id: Int64
        public var launchID: String
        public var state: LaunchState
        /// The launch's JSON at that change.
        public var body: String
        public var createdAt: Date
    }

    /// Events after `id`, oldest first, at most `limit`.
    public func events(after id: Int64, limit: Int = 500) async throws -> [Event] {
        let rows = try await reader.raw(
            "SELECT id, launch_id, state, body, created_at FROM events WHERE id > \(bind: id) ORDER BY id LIMIT \(literal: max(1, limit))"
        ).all()
        return try rows.map { row in
            Event(
                id: try row.decode(column: "id", as: Int64.self), launchID: try row.decode(column: "launch_id", as: String.self),
                state: LaunchState(rawValue: try row.decode(column: "state", as: String.self)) ?? .failed,
                body: try row.decode(column: "body", as: String.self),
                createdAt: Date(timeIntervalSince1970: try row.decode(column: "created_at", as: Double.self)))
        }
    }

    /// The oldest and newest event IDs kept (0, 0 when none).
    public func eventRange() async throws -> (oldest: Int64, newest: Int64) {
        guard let row = try await reader.raw("SELECT COALESCE(MIN(id), 0) AS oldest, COALESCE(MAX(id), 0) AS newest FROM events").first() else {
            return (0, 0)
        }
        return (try row.decode(column: "oldest", as: Int64.self), try row.decode(column: "newest", as: Int64.self))
    }

    /// Drops events and idempotency keys older than their windows (events: `eventRetention`, keys: 24 h). The newest
    /// event is always kept, so IDs keep growing across restarts.
    public func prune(eventRetention: TimeInterval) async throws {
        let now = clock().timeIntervalSince1970
        try await transaction { db in
            try await db.raw(
                "DELETE FROM events WHERE created_at < \(bind: now - eventRetention) AND id < (SELECT MAX(id) FROM events)"
            ).run()
            try await db.raw("DELETE FROM idempotency_keys WHERE created_at < \(bind: now - Self.idempotencyWindow)").run()
            return ((), nil)
        }
    }
}

/// Where a page of `GET /v1/pods` ends: the last launch's `createdAt` and `id` (opaque to clients).
public struct ListCursor: Sendable, Hashable {
    public var createdAt: Double
    public var id: String

    public init(after launch: Launch) {
        createdAt = launch.createdAt.timeIntervalSince1970
        id = launch.id
    }

    /// Parses a cursor a previous page returned; nil when it is not one.
    public init?(_ text: String) {
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8) else { return nil }
        let parts = decoded.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let createdAt = Double(parts[0]), createdAt.isFinite, Launch.isID(String(parts[1])) else { return nil }
        self.createdAt = createdAt
        self.id = String(parts[1])
    }

    /// The opaque form.
    public var text: String { Data("\(createdAt) \(id)".utf8).base64EncodedString() }
}

/// A launch as its row's columns (times as seconds since 1970, plan and URLs as JSON text).
struct LaunchColumns {
    var id: String
    var state: String
    var version: Int
    var name: String
    var pool: String?
    var plan: String
    var podID: String?
    var gpuTypeID: String?
    var dataCenterID: String?
    var costPerHour: Double?
    var urls: String?
    var createdAt: Double
    var createSentAt: Double?
    var podCreatedAt: Double?
    var readyAt: Double?
    var endedAt: Double?
    var errorKind: String?
    var errorMessage: String?

    init(_ launch: Launch) {
        id = launch.id
        state = launch.state.rawValue
        version = launch.version
        name = launch.name
        pool = launch.pool
        plan = Self.json(launch.plan) ?? "{}"
        podID = launch.podID
        gpuTypeID = launch.gpuTypeID
        dataCenterID = launch.dataCenterID
        costPerHour = launch.costPerHour
        urls = launch.urls.flatMap { urls in Self.json(Dictionary(uniqueKeysWithValues: urls.map { (String($0.key), $0.value) })) }
        createdAt = launch.createdAt.timeIntervalSince1970
        createSentAt = launch.createSentAt?.timeIntervalSince1970
        podCreatedAt = launch.podCreatedAt?.timeIntervalSince1970
        readyAt = launch.readyAt?.timeIntervalSince1970
        endedAt = launch.endedAt?.timeIntervalSince1970
        errorKind = launch.error?.kind
        errorMessage = launch.error?.message
    }

    static func launch(_ row: any SQLRow) throws -> Launch {
        func date(_ column: String) throws -> Date? {
            try row.decode(column: column, as: Double?.self).map { Date(timeIntervalSince1970: $0) }
        }
        let planText = try row.decode(column: "plan", as: String.self)
        let plan = try JSONDecoder().decode(LaunchPlanRecord.self, from: Data(planText.utf8))
        var launch = Launch(
            id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self), plan: plan,
            createdAt: try date("created_at") ?? Date(timeIntervalSince1970: 0), pool: try row.decode(column: "pool", as: String?.self))
        let stateText = try row.decode(column: "state", as: String.self)
        guard let state = LaunchState(rawValue: stateText) else { throw StoreError("launch \(launch.id) has an unknown state \"\(stateText)\"") }
        launch.state = state
        launch.version = try row.decode(column: "version", as: Int.self)
        launch.podID = try row.decode(column: "pod_id", as: String?.self)
        launch.gpuTypeID = try row.decode(column: "gpu_type_id", as: String?.self)
        launch.dataCenterID = try row.decode(column: "data_center_id", as: String?.self)
        launch.costPerHour = try row.decode(column: "cost_per_hr", as: Double?.self)
        if let text = try row.decode(column: "urls", as: String?.self) {
            let decoded = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
            launch.urls = Dictionary(uniqueKeysWithValues: decoded.compactMap { key, value in Int(key).map { ($0, value) } })
        }
        launch.createSentAt = try date("create_sent_at")
        launch.podCreatedAt = try date("pod_created_at")
        launch.readyAt = try date("ready_at")
        launch.endedAt = try date("ended_at")
        if let kind = try row.decode(column: "error_kind", as: String?.self) {
            launch.error = LaunchFailure(kind: kind, message: try row.decode(column: "error_message", as: String?.self) ?? "")
        }
        return launch
    }

    private static func json<T: Encodable>(_ value: T) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) }
    }
}

/// A store failure that is not the database's own (a row the service cannot read).
public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
