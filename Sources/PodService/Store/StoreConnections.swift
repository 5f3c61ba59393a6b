import Foundation
import Logging
import PodLauncher
import SQLKit
import SQLiteKit

/// What differs between the two databases, and only that: how connections are held, how a write transaction begins
/// (serialized with every other writer, of every replica), and how other replicas hear of a commit. Every query the
/// store runs is the same text on both.
protocol StoreConnections: Sendable {
    /// For reads outside a transaction (the API's answers).
    var reader: any SQLDatabase { get }
    /// Runs `body` in one write transaction that no other writer (in this process or another) interleaves with, and
    /// commits it; rolls back when `body` throws. `wake` (an event ID, or 0 for "look again") is announced to the
    /// other replicas with the commit.
    func writeTransaction<T: Sendable>(wake: @escaping @Sendable (T) -> Int64?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    /// Tells the other replicas to look again, outside a transaction.
    func announce(_ eventID: Int64) async
    /// Committed event IDs announced by any replica (this one's too), until `close`; nil when there are no others.
    var announcements: AsyncStream<Int64>? { get }
    func close() async
}

extension StoreConnections {
    /// A write transaction that wakes nobody (migrations, the installation ID).
    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writeTransaction(wake: { _ in nil }, body)
    }
}

/// SQLite: one writer connection (`BEGIN IMMEDIATE`, so a second process on the same file waits its turn) and one
/// reader; WAL lets the reader see the last commit while the writer works.
final class SQLiteConnections: StoreConnections {
    let reader: any SQLDatabase
    private let writer: any SQLDatabase
    private let connections: [SQLiteConnection]
    /// The directory of a throw-away database, removed on close.
    private let scratch: URL?

    private init(writer: SQLiteConnection, reader: SQLiteConnection, scratch: URL?) {
        self.writer = writer.sql(queryLogLevel: nil)
        self.reader = reader.sql(queryLogLevel: nil)
        self.connections = [writer, reader]
        self.scratch = scratch
    }

    static func open(_ location: DatabaseLocation, logger: Logger) async throws -> SQLiteConnections {
        let storage: SQLiteConnection.Storage
        var scratch: URL?
        switch location {
        case .sqlite(let path):
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            storage = .file(path: path)
        case .sqliteMemory:
            // A throw-away file rather than SQLite's shared in-memory cache, whose table locks ignore the busy timeout:
            // the reader would fail while the writer holds a transaction. Removed on close.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runpod-launcher-\(PodIdentity.randomHex(16))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            scratch = directory
            storage = .file(path: directory.appendingPathComponent("service.sqlite").path)
        case .postgres:
            throw StoreError("SQLiteConnections opened with a PostgreSQL location")
        }
        let writerConnection = try await SQLiteConnection.open(storage: storage, logger: logger)
        let readerConnection: SQLiteConnection
        do {
            readerConnection = try await SQLiteConnection.open(storage: storage, logger: logger)
        } catch {
            try? await writerConnection.close()
            throw error
        }
        let connections = SQLiteConnections(writer: writerConnection, reader: readerConnection, scratch: scratch)
        do {
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=5000", "PRAGMA foreign_keys=ON"] {
                try await connections.writer.raw(SQLQueryString(pragma)).run()
            }
            try await connections.reader.raw("PRAGMA busy_timeout=5000").run()
            return connections
        } catch {
            await connections.close()
            throw error
        }
    }

    func writeTransaction<T: Sendable>(wake: @escaping @Sendable (T) -> Int64?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        try await writer.raw("BEGIN IMMEDIATE").run()
        do {
            let result = try await body(writer)
            try await writer.raw("COMMIT").run()
            return result
        } catch {
            try? await writer.raw("ROLLBACK").run()
            throw error
        }
    }

    func announce(_ eventID: Int64) async {}

    var announcements: AsyncStream<Int64>? { nil }

    func close() async {
        for connection in connections { try? await connection.close() }
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }
}
