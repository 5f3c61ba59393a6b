import Foundation
import Logging
import NIOCore
import PostgresKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which replica drives RunPod. Every replica answers the API from the database; only the leader runs the reconciler
/// and the autoscaler. Leadership is a lock the database's own machinery releases when its holder dies, so no
/// home-made consensus decides it:
/// - PostgreSQL: a session advisory lock on a dedicated connection. PostgreSQL drops it when that connection ends
///   (the process died, or the network went); the leader checks its connection every `interval` and stops leading
///   the moment the check fails, and the followers try to take the lock every `interval`.
/// - A SQLite file: an exclusive `flock` on `FILE.leader`, which the kernel drops when the process dies: a second
///   `serve` on the same file waits as a follower instead of reconciling beside the first.
/// - A throw-away database: always the leader.
public final class Leadership: Sendable {
    enum Kind: Sendable {
        case always
        case fileLock(path: String)
        case postgres(PostgresLocation)
    }

    /// How often followers try for the lock and the leader checks that it still holds it.
    public let interval: Duration
    let kind: Kind
    private let logger: Logger
    private let leading: Atomic<Bool>
    private let losses = Atomic<Int>(0)

    init(kind: Kind, interval: Duration = .seconds(1), logger: Logger) {
        self.kind = kind
        self.interval = interval
        self.logger = logger
        if case .always = kind { leading = Atomic(true) } else { leading = Atomic(false) }
    }

    /// The right kind for a database: a lock on the file, an advisory lock on PostgreSQL, or none.
    public static func forDatabase(_ location: DatabaseLocation, interval: Duration = .seconds(1), logger: Logger) -> Leadership {
        switch location {
        case .sqliteMemory: Leadership(kind: .always, logger: logger)
        case .sqlite(let path): Leadership(kind: .fileLock(path: path + ".leader"), interval: interval, logger: logger)
        case .postgres(let postgres): Leadership(kind: .postgres(postgres), interval: interval, logger: logger)
        }
    }

    /// Always the leader (a single process on a database nobody else opens: tests, the demo).
    public static let sole = Leadership(kind: .always, logger: Logger(label: "runpod.service.leader"))

    /// How many times this replica stopped leading (for tests and logs: a step-down is over before a poll sees it).
    public var stepDowns: Int { losses.load(ordering: .acquiring) }

    /// Whether this replica leads now. Checked before every tick and before each create or terminate is sent.
    public var isLeader: Bool { leading.load(ordering: .acquiring) }

    /// Holds or seeks leadership until cancelled; on return this replica no longer leads (its lock is released),
    /// unless it always leads.
    public func run() async {
        switch kind {
        case .always:
            await waitUntilCancelled()
            return  // Always leads (`sole` is shared by every service in a test process).
        case .fileLock(let path):
            await holdFileLock(path)
        case .postgres(let location):
            await holdAdvisoryLock(location)
        }
        set(false)
    }

    private func set(_ value: Bool) {
        let was = leading.exchange(value, ordering: .acquiringAndReleasing)
        guard was != value else { return }
        if !value { losses.add(1, ordering: .releasing) }
        if value {
            logger.notice("this replica is now the leader: it reconciles and scales")
        } else if Task.isCancelled {
            logger.info("leadership released (shutting down)")
        } else {
            logger.warning("this replica is no longer the leader: it stops reconciling and scaling, and serves the API only")
        }
    }

    private func waitUntilCancelled() async {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }

    // MARK: A SQLite file

    private func holdFileLock(_ path: String) async {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            logger.error("cannot open the leader lock file; this replica will not reconcile", metadata: ["path": "\(path)", "errno": "\(errno)"])
            await waitUntilCancelled()
            return
        }
        defer { close(fd) }  // Releases the lock.
        var warned = false
        while !Task.isCancelled {
            if !isLeader {
                if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                    set(true)
                } else if !warned {
                    warned = true
                    logger.notice("another runpod-launcher serve holds this database; following until it stops", metadata: ["lock": "\(path)"])
                }
            }
            try? await Task.sleep(for: interval)
        }
    }

    // MARK: PostgreSQL

    /// The session advisory lock that makes a replica the leader ("rpl-ld").
    static let leaderLockKey: Int64 = 0x72_70_6c_2d_6c_64

    private func holdAdvisoryLock(_ location: PostgresLocation) async {
        while !Task.isCancelled {
            var connection: PostgresConnection?
            do {
                let configuration = try PostgresConnections.connectionConfiguration(location)
                var quiet = logger
                quiet.logLevel = max(logger.logLevel, .info)  // PostgresNIO's debug logs are not for the service's.
                let opened = try await PostgresConnection.connect(configuration: configuration, id: 2, logger: quiet)
                connection = opened
                // The server ending the session (a restart, pg_terminate_backend) ends leadership at once.
                opened.closeFuture.whenComplete { [self] _ in set(false) }
                let db = opened.sql(queryLogLevel: nil)
                while !Task.isCancelled && !opened.isClosed {
                    try await answered(within: checkDeadline) { try await self.check(db) }
                    try await Task.sleep(for: interval)
                }
            } catch {
                if !Task.isCancelled && isLeader {
                    logger.error("lost the database connection that holds leadership", metadata: ["error": "\(PostgresConnections.describe(error))"])
                }
            }
            set(false)  // At once: another replica may hold the lock from now on.
            if let connection { Task { try? await connection.close() } }  // Never waited for: a dead peer may not answer.
            if !Task.isCancelled { try? await Task.sleep(for: interval) }
        }
    }

    /// How long one check may take before the connection counts as lost: twice the interval, and never under 5 s, so a
    /// loaded machine or database does not make leadership flap (a closed connection is noticed at once anyway; this
    /// is for a peer that vanished without closing it, which PostgreSQL itself notices only by TCP keepalive).
    var checkDeadline: Duration { max(interval * 2, .seconds(5)) }

    /// One round: the leader checks its session is alive; a follower tries for the lock.
    private func check(_ db: any SQLDatabase) async throws {
        if isLeader {
            // Still connected means still holding: PostgreSQL releases the lock only with the session.
            _ = try await db.raw("SELECT 1 AS alive").first()
        } else {
            let row = try await db.raw("SELECT pg_try_advisory_lock(\(bind: Self.leaderLockKey)) AS held").first()
            if try row?.decode(column: "held", as: Bool.self) == true { set(true) }
        }
    }

    /// `body`'s result, or a `LeadershipTimeout` once `limit` passes, without waiting for `body` past that (a query on
    /// a connection to a host that vanished may never return).
    private func answered<T: Sendable>(within limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await firstOf(within: limit, orThrow: { LeadershipTimeout() }, body)
    }
}

struct LeadershipTimeout: Error, CustomStringConvertible {
    var description: String { "the database did not answer in time" }
}
