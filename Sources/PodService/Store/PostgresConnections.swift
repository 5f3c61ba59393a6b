import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresKit
import SQLKit
import Synchronization

/// PostgreSQL, shared by several replicas: a connection pool (PostgresNIO's `PostgresClient`, which reconnects on its
/// own) for reads and write transactions, and one dedicated connection that LISTENs for the other replicas' commits.
///
/// Every write transaction first takes a transaction-scoped advisory lock, so writers of all replicas run one at a
/// time, as SQLite's `BEGIN IMMEDIATE` makes them: event IDs (MAX + 1) are unique and commit in order, and an SSE
/// reader never skips an ID that commits late. The commit NOTIFYs the others with the newest event ID.
final class PostgresConnections: StoreConnections {
    /// The advisory lock every write transaction takes (any fixed 64-bit number; this one spells "rpl-wr").
    static let writeLockKey: Int64 = 0x72_70_6c_2d_77_72
    /// The NOTIFY channel commits are announced on.
    static let channel = "runpod_launcher_changes"

    let reader: any SQLDatabase
    let announcements: AsyncStream<Int64>?
    private let client: PostgresClient
    private let running: Task<Void, Never>
    private let listening: Task<Void, Never>
    private let logger: Logger

    private init(client: PostgresClient, running: Task<Void, Never>, listening: Task<Void, Never>, announcements: AsyncStream<Int64>, logger: Logger)
    {
        self.client = client
        self.reader = PooledPostgresSQL(client: client, logger: logger)
        self.running = running
        self.listening = listening
        self.announcements = announcements
        self.logger = logger
    }

    static func open(_ location: PostgresLocation, logger: Logger) async throws -> PostgresConnections {
        // Fail at start, with the server's own words (no such database, password refused), when the database cannot
        // be used: one plain connection, which gives up after its connect timeout (the pool would retry for ever).
        do {
            let probe = try await PostgresConnection.connect(configuration: try connectionConfiguration(location), id: 0, logger: logger)
            defer { Task { try? await probe.close() } }
            _ = try await probe.sql(queryLogLevel: nil).raw("SELECT 1 AS one").first()
        } catch {
            throw StoreError("cannot use the PostgreSQL database \(location): \(PostgresConnections.describe(error))")
        }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password, database: location.database,
            tls: try clientTLS(location.tls))
        configuration.options.maximumConnections = 8
        configuration.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        // Lease no connection before `run()` has begun (the client warns, and waits, otherwise): the task says so on
        // the line before calling it, whose first step marks the client running.
        let (begun, begin) = AsyncStream.makeStream(of: Void.self)
        let running = Task {
            begin.finish()
            await client.run()
        }
        for await _ in begun {}
        let (stream, sink) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
        let listening = Task { await listen(location, sink: sink, logger: logger) }
        let connections = PostgresConnections(client: client, running: running, listening: listening, announcements: stream, logger: logger)
        return connections
    }

    func writeTransaction<T: Sendable>(wake: @escaping @Sendable (T) -> Int64?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        try await client.withConnection { connection in
            let db = connection.sql(queryLogLevel: nil)
            try await db.raw("BEGIN").run()
            do {
                try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Self.writeLockKey))").run()
                let result = try await body(db)
                if let eventID = wake(result) {
                    try await db.raw("SELECT pg_notify(\(bind: Self.channel), \(bind: String(eventID)))").run()
                }
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    func announce(_ eventID: Int64) async {
        do {
            try await reader.raw("SELECT pg_notify(\(bind: Self.channel), \(bind: String(eventID)))").run()
        } catch {
            logger.debug("could not notify the other replicas", metadata: ["error": "\(Self.describe(error))"])
        }
    }

    func close() async {
        listening.cancel()
        await listening.value
        running.cancel()
        await running.value
    }

    /// LISTENs on a dedicated connection until cancelled, reconnecting after a failure; each reconnect announces 0
    /// ("look again"), since what was committed meanwhile was not heard.
    private static func listen(_ location: PostgresLocation, sink: AsyncStream<Int64>.Continuation, logger: Logger) async {
        defer { sink.finish() }
        var connected = false
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: try connectionConfiguration(location), id: 1, logger: logger)
                do {
                    try await connection.listen(on: channel) { notifications in
                        if connected { sink.yield(0) }
                        connected = true
                        for try await notification in notifications {
                            sink.yield(Int64(notification.payload) ?? 0)
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "lost the PostgreSQL connection that hears other replicas; reconnecting", metadata: ["error": "\(describe(error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// A dedicated connection's settings (the listener's, the leader lock's).
    static func connectionConfiguration(_ location: PostgresLocation) throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password, database: location.database,
            tls: try connectionTLS(location.tls))
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    private static func clientTLS(_ mode: PostgresLocation.TLSMode) throws -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(tlsConfiguration(mode))
        case .require, .verifyFull: .require(tlsConfiguration(mode))
        }
    }

    private static func connectionTLS(_ mode: PostgresLocation.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration(mode)))
        case .require, .verifyFull: .require(try NIOSSLContext(configuration: tlsConfiguration(mode)))
        }
    }

    /// As libpq: `prefer` and `require` encrypt without checking the certificate; `verify-full` checks it and the name.
    private static func tlsConfiguration(_ mode: PostgresLocation.TLSMode) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if mode != .verifyFull { configuration.certificateVerification = .none }
        return configuration
    }

    /// PostgresNIO's errors hide the server's message from `description` (it may hold query text); this shows the
    /// server's message and code, never binds.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }
}

/// The pool as an `SQLDatabase`: each query borrows a connection for as long as it runs.
struct PooledPostgresSQL: SQLDatabase {
    let client: PostgresClient
    let logger: Logger
    var eventLoop: any EventLoop { PostgresClient.defaultEventLoopGroup.any() }
    var dialect: any SQLDialect { PostgresDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.sql(queryLogLevel: nil).execute(sql: query, onRow)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }
}
