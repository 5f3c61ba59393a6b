import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit

/// `postgres`: a SQL query on a PostgreSQL database that returns the backlog, such as the waiting rows of a job table.
///
/// Each read opens one connection, runs `BEGIN READ ONLY`, sets `statement_timeout` (and
/// `idle_in_transaction_session_timeout`) for that transaction to the spec's timeout, runs the query, rolls back and
/// closes. At one read per pool per tick a connection pool would buy nothing, and a connection per read holds nothing
/// open on someone else's database between ticks and keeps nothing stale across a server restart.
///
/// Safety: a query that tries to write is refused by the server (READ ONLY, SQLSTATE 25006); PostgresNIO sends it
/// with the extended protocol, which takes exactly one statement, so `…; DELETE …` is refused too; and it cannot hold
/// a tick: the client gives up after `timeout` (closing the connection, which ends the transaction) and the server
/// cancels the statement at the same bound even if it has not noticed the client leave. Give it a role that can only
/// read all the same.
///
/// The answer must be exactly one row with one column of type smallint, integer, bigint, numeric, real or double
/// precision. NULL reads as 0: `sum`, `max` and friends over no rows are NULL, and no rows means nothing waits. A
/// fractional value is rounded up (half a job waiting is a job).
struct PostgresQuerySource: DemandSource, CustomStringConvertible {
    let location: PostgresLocation
    let query: String
    let timeout: Duration
    let group: any EventLoopGroup
    let logger: Logger

    var description: String { "postgres \(location) query \(query)" }

    /// Parses a source's `url` with the store's own parser; the error names `url` and never holds the password.
    static func location(_ url: String) throws(DemandSourceError) -> PostgresLocation {
        _ = try SourceURL(url, key: "url", schemes: ["postgres", "postgresql"], example: DemandSourceSpec.postgresExample)
        do {
            return try PostgresLocation(parsing: url)
        } catch {
            // PostgresLocation words its messages for `--database` (each says what to write); here the error's key
            // names the setting instead.
            var message = error.description
            for prefix in ["--database: ", "--database "] where message.hasPrefix(prefix) {
                message.removeFirst(prefix.count)
                break
            }
            throw .spec("url", message + ".")
        }
    }

    func backlog() async throws -> Int {
        let shown = location.description
        do {
            let count = try await withDeadline(timeout, source: shown) { try await read() }
            logger.debug("demand read", metadata: ["source": "\(shown)", "backlog": "\(count)"])
            return count
        } catch let error as DemandSourceError {
            throw error.scrubbed(of: secrets)
        } catch {
            throw failure(error).scrubbed(of: secrets)
        }
    }

    /// The password, decoded and as written in the URL, for scrubbing messages that quote a server or a library.
    private var secrets: [String] {
        guard let password = location.password else { return [] }
        let written = password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? password
        return [password, written].sorted { $0.count > $1.count }
    }

    private func read() async throws -> Int {
        var configuration = try PostgresConnections.connectionConfiguration(location)
        configuration.options.connectTimeout = .nanoseconds(Int64(timeout.nanoseconds))
        configuration.options.additionalStartupParameters = [("application_name", "runpod-launcher demand")]
        let connection = try await PostgresConnection.connect(on: group.any(), configuration: configuration, id: 0, logger: logger)
        return try await withTaskCancellationHandler {
            do {
                let count = try await answer(on: connection)
                try? await connection.close()
                return count
            } catch {
                try? await connection.close()
                throw error
            }
        } onCancel: {
            // A running query does not end when its task is cancelled; closing the connection ends it.
            connection.close().whenComplete { _ in }
        }
    }

    /// Runs the query in a read-only transaction bounded by the timeout and reads its one number.
    private func answer(on connection: PostgresConnection) async throws -> Int {
        let milliseconds = String(max(1, Int((timeout.nanoseconds / 1e6).rounded(.up))))
        try await connection.query("BEGIN TRANSACTION READ ONLY", logger: logger)
        try await connection.query(
            """
            SELECT set_config('statement_timeout', \(milliseconds), true),
                set_config('idle_in_transaction_session_timeout', \(milliseconds), true)
            """, logger: logger)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: query), logger: logger)
        var iterator = rows.makeAsyncIterator()
        guard let row = try await iterator.next() else {
            throw bad("the query returned no rows; it must return exactly one row with one number, as in \(DemandSourceSpec.postgresQueryExample).")
        }
        guard try await iterator.next() == nil else {
            throw bad("the query returned more than one row; it must return exactly one (an aggregate such as count(*) or sum(…) does).")
        }
        let count = try number(in: row)
        try await connection.query("ROLLBACK", logger: logger)
        return count
    }

    /// The backlog in the one column of `row`.
    private func number(in row: PostgresRow) throws(DemandSourceError) -> Int {
        let cells = Array(row)
        guard cells.count == 1, let cell = cells.first else {
            let names = cells.map(\.columnName).joined(separator: ", ")
            throw bad("the query returned \(cells.count) columns (\(names)); it must return exactly one, a number.")
        }
        let what = "column '\(cell.columnName)'"
        let value: Double
        do {
            switch cell.dataType {
            case .int2, .int4, .int8, .float4, .float8, .numeric:
                guard cell.bytes != nil else {
                    logger.debug("demand read NULL, counted as 0", metadata: ["source": "\(location)"])
                    return 0
                }
                value = try Self.double(cell)
            default:
                let type = cell.dataType.knownSQLName?.lowercased() ?? "of type OID \(cell.dataType.rawValue)"
                throw bad(
                    "\(what) is \(type), not a number (smallint, integer, bigint, numeric, real or double precision); "
                        + "cast it (::bigint) or count rows, as in \(DemandSourceSpec.postgresQueryExample).")
            }
        } catch let error as DemandSourceError {
            throw error
        } catch {
            throw bad("\(what) (\(cell.dataType)) could not be read as a number: \(error).")
        }
        switch backlogCount(value, what: what) {
        case .success(let count): return count
        case .failure(let mismatch): throw bad(mismatch.message + ".")
        }
    }

    private static func double(_ cell: PostgresCell) throws -> Double {
        switch cell.dataType {
        case .int2, .int4, .int8:
            return Double(try cell.decode(Int64.self))
        case .float4, .float8:
            return try cell.decode(Double.self)
        default:
            // numeric's binary header is ndigits, weight, sign, dscale (Int16 each); the sign word marks NaN
            // (0xC000) and, since PostgreSQL 14, ±Infinity (0xD000, 0xF000), which Decimal cannot hold.
            if let bytes = cell.bytes, cell.format == .binary, let sign = bytes.getInteger(at: bytes.readerIndex + 4, as: UInt16.self),
                sign & 0xC000 == 0xC000
            {
                return sign == 0xD000 ? .infinity : sign == 0xF000 ? -.infinity : .nan
            }
            return NSDecimalNumber(decimal: try cell.decode(Decimal.self)).doubleValue
        }
    }

    private func bad(_ message: String) -> DemandSourceError {
        DemandSourceError(.badAnswer, source: location.description, message: message)
    }

    /// A failure from PostgresNIO or NIO, in words, with the server's own message where there is one.
    private func failure(_ error: any Error) -> DemandSourceError {
        let shown = location.description
        let server = "\(location.host):\(location.port)"
        func fail(_ code: DemandSourceError.Code, _ message: String) -> DemandSourceError {
            DemandSourceError(code, source: shown, message: message)
        }
        guard let error = error as? PSQLError else {
            return fail(.connectionFailed, "the connection failed: \(error).")
        }
        switch error.code {
        case .server:
            let message = error.serverInfo?[.message] ?? "no message"
            let state = error.serverInfo?[.sqlState] ?? "?"
            switch state {
            case "28P01", "28000":
                return fail(.authenticationFailed, "the server refused the login: \(message) (SQLSTATE \(state)).")
            case "57014":
                return fail(.timedOut, "the server cancelled the query after \(timeout.secondsText) (timeoutSeconds): \(message).")
            case "25006":
                return fail(
                    .queryFailed, "the query tried to write; it runs in a READ ONLY transaction and may only read (\(message), SQLSTATE 25006).")
            case "3D000":
                return fail(.connectionFailed, "\(message) on \(server) (SQLSTATE 3D000); check the database name in url.")
            case _ where state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P"):
                return fail(.connectionFailed, "the server at \(server) would not serve the read: \(message) (SQLSTATE \(state)).")
            default:
                return fail(.queryFailed, "the query failed: \(message) (SQLSTATE \(state)).")
            }
        case .authMechanismRequiresPassword:
            return fail(.authenticationFailed, "the server wants a password; write it in the URL, as in \(DemandSourceSpec.postgresExample).")
        case .unsupportedAuthMechanism, .saslError:
            return fail(.authenticationFailed, "the login failed (\(error.code)): \(error.underlying.map { "\($0)" } ?? "no detail").")
        case .sslUnsupported:
            return fail(.connectionFailed, "the server at \(server) does not offer TLS and the URL requires it (sslmode=require).")
        case .connectionError:
            if let underlying = error.underlying as? ChannelError, case .connectTimeout = underlying {
                return fail(.timedOut, "no connection to \(server) within \(timeout.secondsText) (timeoutSeconds).")
            }
            switch error.underlying {
            case let underlying as NIOConnectionError:
                let why = underlying.connectionErrors.first.map { "\($0.error)" } ?? underlying.dnsAError.map { "\($0)" } ?? "no address"
                return fail(.connectionFailed, "cannot connect to \(server): \(why).")
            case let underlying?:
                return fail(.connectionFailed, "cannot connect to \(server): \(underlying).")
            case nil:
                return fail(.connectionFailed, "cannot connect to \(server).")
            }
        case .serverClosedConnection, .uncleanShutdown:
            return fail(.connectionFailed, "the server at \(server) closed the connection (\(error.code)).")
        default:
            return fail(.connectionFailed, "the read failed: \(PostgresConnections.describe(error)).")
        }
    }
}
