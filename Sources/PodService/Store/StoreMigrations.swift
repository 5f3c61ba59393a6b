import Logging
import SQLKit

/// The schema, as an ordered list of versioned steps. Each start runs the steps the database has not seen, each in
/// its own transaction with its version recorded in `schema_version`, so an interrupted start leaves no half step.
/// SQL written here must run on SQLite and PostgreSQL alike.
enum StoreMigrations {
    static let steps: [(version: Int, statements: [String])] = [
        (
            1,
            [
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                """
                CREATE TABLE launches (
                    id TEXT PRIMARY KEY, state TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL, pool TEXT,
                    plan TEXT NOT NULL, pod_id TEXT, gpu_type_id TEXT, data_center_id TEXT, cost_per_hr DOUBLE PRECISION, urls TEXT,
                    created_at DOUBLE PRECISION NOT NULL, create_sent_at DOUBLE PRECISION, pod_created_at DOUBLE PRECISION,
                    ready_at DOUBLE PRECISION, ended_at DOUBLE PRECISION, error_kind TEXT, error_message TEXT)
                """,
                "CREATE INDEX launches_by_state ON launches (state)",
                "CREATE INDEX launches_by_age ON launches (created_at, id)",
                """
                CREATE TABLE idempotency_keys (
                    key TEXT PRIMARY KEY, body_digest TEXT NOT NULL, launch_id TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)
                """,
                """
                CREATE TABLE events (
                    id BIGINT PRIMARY KEY, launch_id TEXT NOT NULL, state TEXT NOT NULL, body TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL)
                """,
                "CREATE INDEX events_by_age ON events (created_at)",
            ]
        ),
        (
            2,
            [
                "CREATE TABLE pools (name TEXT PRIMARY KEY, settings TEXT NOT NULL, origin TEXT NOT NULL, deleting BIGINT NOT NULL DEFAULT 0)",
                """
                CREATE TABLE leases (
                    id TEXT PRIMARY KEY, pool TEXT NOT NULL, launch_id TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                    expires_at DOUBLE PRECISION NOT NULL, released_at DOUBLE PRECISION)
                """,
                "CREATE INDEX leases_by_launch ON leases (launch_id, expires_at)",
                "CREATE TABLE pool_demand (pool TEXT PRIMARY KEY, backlog BIGINT NOT NULL, expires_at DOUBLE PRECISION NOT NULL)",
                "CREATE INDEX launches_by_pool ON launches (pool, state)",
            ]
        ),
        (
            3,
            [
                // What every replica must see of the pools, not only the leader: lease requests waiting (their order
                // and how many count as demand) and each pool's last decision.
                """
                CREATE TABLE lease_requests (
                    id TEXT PRIMARY KEY, pool TEXT NOT NULL, replica TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                    expires_at DOUBLE PRECISION NOT NULL, alive_until DOUBLE PRECISION NOT NULL, waiting BIGINT NOT NULL DEFAULT 0)
                """,
                "CREATE INDEX lease_requests_by_pool ON lease_requests (pool, created_at, id)",
                "CREATE TABLE pool_status (pool TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL)",
            ]
        ),
    ]

    /// The newest schema version this build knows.
    static var latest: Int { steps.last?.version ?? 0 }

    /// Runs the steps the database lacks, each in its own write transaction that first reads the version again: two
    /// replicas starting at once take turns, and the second finds the work done.
    static func run(on connections: any StoreConnections, logger: Logger) async throws {
        try await connections.writeTransaction { db in
            try await db.raw("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)").run()
        }
        for step in steps {
            let ran = try await connections.writeTransaction { db -> Bool in
                let current = try await currentVersion(db)
                guard current <= latest else {
                    throw StoreError(
                        "the database's schema is version \(current), newer than this runpod-launcher knows (\(latest)): run the newer "
                            + "version, or point --database at another database")
                }
                guard step.version > current else { return false }
                for statement in step.statements { try await db.raw(SQLQueryString(statement)).run() }
                try await db.raw("INSERT INTO schema_version (version) VALUES (\(bind: step.version))").run()
                return true
            }
            if ran { logger.info("database schema migrated", metadata: ["version": "\(step.version)"]) }
        }
    }

    static func currentVersion(_ db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version").first()?.decode(column: "v", as: Int.self) ?? 0
    }
}
