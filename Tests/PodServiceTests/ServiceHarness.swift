import Foundation
import Logging
import PodLauncher
import PostgresKit
import RunPodAPI
import RunPodEmulator
import Synchronization
import TestSupport

@testable import PodService

/// A wall clock a test moves by hand (deadlines, limits, the settle time of a lost create), starting now.
final class TestNow: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    var now: @Sendable () -> Date { { Date().addingTimeInterval(self.offset.withLock { $0 }) } }
    func advance(_ seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}

/// A fresh SQLite file in a temporary directory.
func scratchDatabase() -> DatabaseLocation {
    .sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("service-tests-\(UUID().uuidString)/service.sqlite").path)
}

func openStore(_ location: DatabaseLocation, now: @escaping @Sendable () -> Date = { Date() }) async throws -> LaunchStore {
    try await LaunchStore.open(location, now: now, render: { String(buffer: LaunchView.encode($0, now: Date())) })
}

/// A plan for a small pod on the emulator's demo world, probing ComfyUI's `/system_stats`.
func testPlan(timeoutSeconds: Int = 600, maxLifetimeSeconds: Int? = nil, maxCostUSD: Double? = nil, env: [String: String] = [:]) -> LaunchPlanRecord {
    LaunchPlanRecord(
        spec: LaunchSpec(gpuTypeIDs: ["NVIDIA GeForce RTX 4090", "NVIDIA RTX A5000"], networkVolumeID: nil, env: env), timeoutSeconds: timeoutSeconds,
        maxLifetimeSeconds: maxLifetimeSeconds, maxCostUSD: maxCostUSD, readyPath: "/system_stats")
}

/// Records a new launch as the API would.
func recordLaunch(_ store: LaunchStore, plan: LaunchPlanRecord = testPlan(), name: String? = nil, now: Date = Date()) async throws -> Launch {
    let launch = Launch(id: Launch.newID(), name: name ?? "svc-\(PodIdentity.randomHex(6))", plan: plan, createdAt: now)
    guard case .created(let stored) = try await store.create(launch) else { throw HarnessError("the launch was not created") }
    return stored
}

/// Ticks (letting each tick's steps finish) until `condition` holds; false after `ticks` ticks.
func reconcile(_ reconciler: Reconciler, ticks: Int = 400, until condition: () async throws -> Bool) async rethrows -> Bool {
    for _ in 0..<ticks {
        await reconciler.tick()
        await reconciler.drain()
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return false
}

func state(_ store: LaunchStore, _ id: String) async throws -> LaunchState? { try await store.launch(id: id)?.state }

/// The live pods carrying the service's stamp, by launch ID (from RunPod's own listing).
func stampedAlive(_ launcher: RunPodLauncher) async throws -> [String: [String]] {
    var found: [String: [String]] = [:]
    for pod in try await launcher.client.listPods() where pod.status != .terminated && pod.env?[ServiceStamp.key] != nil {
        found[PodIdentity.launchID(of: pod) ?? "?", default: []].append(pod.id)
    }
    return found
}

/// Emulates `kill -9` at a crash point: the step that reaches it never goes on (nor writes anything).
final class Crash: Sendable {
    let point: CrashPoint
    private let hits = Mutex<Int>(0)
    private static let parked = Mutex<[CheckedContinuation<Void, Never>]>([])

    init(at point: CrashPoint) { self.point = point }

    var happened: Bool { hits.withLock { $0 > 0 } }

    var hook: @Sendable (CrashPoint, String) async -> Void {
        { [self] point, _ in
            guard point == self.point else { return }
            hits.withLock { $0 += 1 }
            await withCheckedContinuation { continuation in Self.parked.withLock { $0.append(continuation) } }
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The databases the store's suite runs on: SQLite always, PostgreSQL when `RUNPOD_LAUNCHER_TEST_POSTGRES` names a
/// server (`.ci/run` starts a throw-away cluster with `scripts/postgres/cluster.sh` and sets it).
enum Backend: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres

    var description: String { rawValue }

    /// The server tests make their databases on.
    static var postgresServer: PostgresLocation? {
        guard let text = ProcessInfo.processInfo.environment["RUNPOD_LAUNCHER_TEST_POSTGRES"], !text.isEmpty else { return nil }
        return try? PostgresLocation(parsing: text)
    }

    /// SQLite, and PostgreSQL when a server is configured.
    static var available: [Backend] { postgresServer == nil ? [.sqlite] : [.sqlite, .postgres] }
}

/// A fresh, empty database on `backend`: a new SQLite file, or a new database on the test PostgreSQL server.
func scratchDatabase(_ backend: Backend) async throws -> DatabaseLocation {
    switch backend {
    case .sqlite:
        return scratchDatabase()
    case .postgres:
        guard var server = Backend.postgresServer else { throw HarnessError("RUNPOD_LAUNCHER_TEST_POSTGRES is not set") }
        let name = "rpl_test_\(PodIdentity.randomHex(12))"
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: server.host, port: server.port, username: server.username, password: server.password, database: server.database, tls: .disable),
            id: 0, logger: Logger(label: "test.postgres"))
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "test.postgres"))
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
        server.database = name
        return .postgres(server)
    }
}
