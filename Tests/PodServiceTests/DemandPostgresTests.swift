import Foundation
import Logging
import PodLauncher
import PostgresKit
import Testing

@testable import PodService

/// The test server's URL for `database` (its own database unless told), as a pool's `source.url` would spell it.
private func sourceURL(database: String? = nil, user: String? = nil, password: String? = nil) throws -> String {
    guard let server = Backend.postgresServer else { throw DemandTestError("RUNPOD_LAUNCHER_TEST_POSTGRES is not set") }
    let secret = password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? $0) } ?? ""
    let host = server.host.contains(":") ? "[\(server.host)]" : server.host
    return "postgres://\(user ?? server.username)\(secret)@\(host):\(server.port)/\(database ?? server.database)?sslmode=\(server.tls.rawValue)"
}

/// Reads once through the factory, as the autoscaler will.
private func read(_ url: String, query: String, timeout: Duration = DemandSourceSpec.defaultTimeout) async throws -> Int {
    guard let source = try DemandSourceSpec(.postgres(url: url, query: query), timeout: timeout).makeSource() else {
        throw DemandTestError("no reader")
    }
    return try await source.backlog()
}

/// The `DemandSourceError` a read fails with, and how long it took.
private func failure(_ url: String, query: String, timeout: Duration = DemandSourceSpec.defaultTimeout) async -> (DemandSourceError?, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    do {
        _ = try await read(url, query: query, timeout: timeout)
        return (nil, clock.now - start)
    } catch {
        return (error as? DemandSourceError, clock.now - start)
    }
}

/// Runs `statements` on `database` of the test server as its own user, outside any demand source.
private func setUp(_ database: String, _ statements: [String]) async throws {
    guard var location = Backend.postgresServer else { throw DemandTestError("RUNPOD_LAUNCHER_TEST_POSTGRES is not set") }
    location.database = database
    let logger = Logger(label: "test.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    let connection = try await PostgresConnection.connect(
        configuration: try PostgresConnections.connectionConfiguration(location), id: 0, logger: logger)
    do {
        for statement in statements {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    } catch {
        try? await connection.close()
        throw error
    }
    try await connection.close()
}

/// A fresh database holding `jobs(id, state)` with `queued` queued and `running` running rows; returns its name.
private func jobDatabase(queued: Int, running: Int) async throws -> String {
    guard case .postgres(let location) = try await scratchDatabase(.postgres) else { throw DemandTestError("not a PostgreSQL database") }
    try await setUp(
        location.database,
        [
            "CREATE TABLE jobs (id serial PRIMARY KEY, state text NOT NULL)",
            "INSERT INTO jobs (state) SELECT 'queued' FROM generate_series(1, \(queued))",
            "INSERT INTO jobs (state) SELECT 'running' FROM generate_series(1, \(running))",
            "CREATE SEQUENCE tickets",
        ])
    return location.database
}

@Suite(
    "The postgres demand source, against a real PostgreSQL server",
    .enabled(
        if: Backend.postgresServer != nil,
        "RUNPOD_LAUNCHER_TEST_POSTGRES is not set (scripts/postgres/cluster.sh start DIR prints a URL); .ci/run sets it and requires these tests")
)
struct DemandPostgresTests {
    @Test("a job table's count of waiting rows is the backlog")
    func jobTableCount() async throws {
        let database = try await jobDatabase(queued: 7, running: 3)
        let url = try sourceURL(database: database)
        #expect(try await read(url, query: "SELECT count(*) FROM jobs WHERE state = 'queued'") == 7)
        #expect(try await read(url, query: "SELECT count(*) FROM jobs WHERE state = 'done';") == 0)
    }

    @Test(
        "every numeric type is read, a fraction is rounded up, and NULL (an aggregate over no rows) reads 0",
        arguments: [
            ("SELECT 4::smallint", 4),
            ("SELECT 5::integer", 5),
            ("SELECT 12345678901::bigint", 12_345_678_901),
            ("SELECT 2.25::numeric", 3),
            ("SELECT avg(x) FROM (VALUES (1), (2)) AS v(x)", 2),
            ("SELECT 1.5::double precision", 2),
            ("SELECT 3::real", 3),
            ("SELECT 0.0001::numeric", 1),
            ("SELECT sum(x) FROM (VALUES (1)) AS v(x) WHERE false", 0),
            ("SELECT NULL::bigint", 0),
        ])
    func numericTypes(query: String, expected: Int) async throws {
        #expect(try await read(try sourceURL(), query: query) == expected)
    }

    @Test("the query runs in a READ ONLY transaction whose statement_timeout is timeoutSeconds")
    func readOnlyAndBounded() async throws {
        let url = try sourceURL()
        #expect(try await read(url, query: "SELECT (current_setting('transaction_read_only') = 'on')::int") == 1)
        let timeout = "SELECT extract(epoch FROM current_setting('statement_timeout')::interval)"
        #expect(try await read(url, query: timeout, timeout: .seconds(7)) == 7)
        #expect(try await read(url, query: timeout + " * 1000", timeout: .milliseconds(1500)) == 1500)
    }

    @Test(
        "a query that tries to write fails and writes nothing",
        arguments: [
            ("WITH gone AS (DELETE FROM jobs RETURNING 1) SELECT count(*) FROM gone", "READ ONLY"),
            ("DELETE FROM jobs", "READ ONLY"),
            ("SELECT count(*) FROM jobs; DELETE FROM jobs", "cannot insert multiple commands"),
            ("SELECT nextval('tickets')", "READ ONLY"),
            ("CREATE TABLE more_jobs (id int)", "READ ONLY"),
        ])
    func writesAreRefused(query: String, says: String) async throws {
        let database = try await jobDatabase(queued: 5, running: 0)
        let url = try sourceURL(database: database)
        let (error, _) = await failure(url, query: query)
        #expect(error?.code == .queryFailed)
        #expect(error?.message.contains(says) == true, "\(String(describing: error))")
        #expect(try await read(url, query: "SELECT count(*) FROM jobs") == 5)
        #expect(try await read(url, query: "SELECT count(*) FROM pg_tables WHERE tablename = 'more_jobs'") == 0)
        #expect(try await read(url, query: "SELECT is_called::int FROM tickets") == 0)
    }

    @Test(
        "an answer that is not one row with one number fails, naming what was wrong",
        arguments: [
            ("SELECT 1 WHERE false", "the query returned no rows"),
            ("SELECT generate_series(1, 2)", "the query returned more than one row"),
            ("SELECT 1 AS a, 2 AS b", "the query returned 2 columns (a, b)"),
            ("SELECT 'seven'::text AS n", "column 'n' is text, not a number"),
            ("SELECT true AS ready", "column 'ready' is boolean, not a number"),
            ("SELECT NULL AS n", "column 'n' is text, not a number"),
            ("SELECT -3 AS n", "column 'n' is -3.0; a backlog cannot be negative"),
            ("SELECT 'NaN'::numeric AS n", "column 'n' is nan, not a finite number"),
            ("SELECT 'Infinity'::double precision AS n", "column 'n' is inf, not a finite number"),
        ])
    func wrongShapes(query: String, says: String) async throws {
        let (error, _) = await failure(try sourceURL(), query: query)
        #expect(error?.code == .badAnswer)
        #expect(error?.message.contains(says) == true, "\(String(describing: error))")
    }

    @Test("a query the server rejects is a query failure with the server's message")
    func serverError() async throws {
        let (error, _) = await failure(try sourceURL(), query: "SELECT count(*) FROM no_such_table")
        #expect(error?.code == .queryFailed)
        #expect(error?.message.contains("relation \"no_such_table\" does not exist (SQLSTATE 42P01)") == true, "\(String(describing: error))")
    }

    @Test("a refused connection fails fast, without the password in the message")
    func refused() async throws {
        let port = try await closedPort()
        let url = "postgres://reader:pw-CANARY-1@127.0.0.1:\(port)/jobs?sslmode=disable"
        let (error, took) = await failure(url, query: "SELECT 1", timeout: .seconds(20))
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains("cannot connect to 127.0.0.1:\(port)") == true, "\(String(describing: error))")
        #expect(error?.source == "postgres://reader:***@127.0.0.1:\(port)/jobs?sslmode=disable")
        #expect(error.map { !$0.description.contains("CANARY") } == true, "\(String(describing: error))")
        #expect(took < .seconds(10))
    }

    @Test("a login the server refuses fails fast as an authentication failure, without the password in the message")
    func loginRefused() async throws {
        // The test cluster trusts local connections (any password is accepted), so the server refuses a role that may not
        // log in, and one that does not exist, rather than a wrong password: the same FATAL path (SQLSTATE 28000).
        let role = "rpl_nologin_\(PodIdentity.randomHex(6))"
        guard let server = Backend.postgresServer else { throw DemandTestError("RUNPOD_LAUNCHER_TEST_POSTGRES is not set") }
        try await setUp(server.database, ["CREATE ROLE \(role) NOLOGIN PASSWORD 'pw-CANARY-2'"])
        for user in [role, "rpl_nobody_\(PodIdentity.randomHex(6))"] {
            let (error, took) = await failure(try sourceURL(user: user, password: "pw-CANARY-2 p@ss"), query: "SELECT 1", timeout: .seconds(20))
            #expect(error?.code == .authenticationFailed, "\(String(describing: error))")
            #expect(error?.message.contains("the server refused the login") == true, "\(String(describing: error))")
            #expect(error?.source?.contains("\(user):***@") == true, "\(String(describing: error))")
            #expect(error.map { !$0.description.contains("CANARY") && !$0.description.contains("p%40ss") } == true, "\(String(describing: error))")
            #expect(took < .seconds(10))
        }
        try await setUp(server.database, ["DROP ROLE \(role)"])
    }

    @Test("a slow query times out within the timeout")
    func slowQuery() async throws {
        let (error, took) = await failure(try sourceURL(), query: "SELECT count(*) FROM pg_sleep(30)", timeout: .seconds(1))
        #expect(error?.code == .timedOut, "\(String(describing: error))")
        #expect(took < .seconds(10))
    }

    @Test("a database that does not exist is a connection failure that names it")
    func noSuchDatabase() async throws {
        let (error, _) = await failure(try sourceURL(database: "rpl_no_such_db"), query: "SELECT 1")
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains("\"rpl_no_such_db\" does not exist") == true, "\(String(describing: error))")
    }
}
