import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PodLauncher
import RunPodAPI
import RunPodEmulator
import ServiceLifecycle
import TestSupport
import Testing

@testable import PodService

/// A running service (real HTTP server, real SQLite file, reconciler ticking every 20 ms) on the emulator.
struct RunningService {
    let baseURL: String
    let token: String
    let store: LaunchStore
    let launcher: RunPodLauncher
    let database: DatabaseLocation

    struct Answer {
        var status: Int
        var headers: [(String, String)]
        var body: String
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]) ?? [:] }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    func call(
        _ method: HTTPMethod, _ path: String, body: String? = nil, token: String?? = nil, headers: [(String, String)] = [],
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token = token ?? self.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 8 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: String(buffer: bytes))
    }
}

func withService<T: Sendable>(
    _ emulator: RunningEmulator, database: DatabaseLocation = scratchDatabase(), terminateOnExit: Bool = false, clock: TestNow = TestNow(),
    profiles: LaunchProfiles? = nil,
    _ body: (RunningService) async throws -> T
) async throws -> T {
    let metrics = ServiceMetrics()
    let base = emulatorLauncher(emulator, ledger: nil)
    let launcher = RunPodLauncher(client: metrics.counting(base.client), configuration: base.configuration, ledger: nil)
    let store = try await openStore(database, now: clock.now)
    let token = PodIdentity.randomHex(40)
    let logger = Logger(label: "service-tests", factory: { _ in SwiftLogNoOpLogHandler() })
    return try await PodService.withRunning(logger: logger) { onListening in
        PodService(
            store: store, launcher: launcher, intake: LaunchIntake(profiles: profiles, environment: [:]), token: ServiceToken(token, source: "test"),
            metrics: metrics,
            options: .init(
                host: "127.0.0.1", port: 0, reconciler: ReconcilerSettings(tick: .milliseconds(20)), terminateOnExit: terminateOnExit),
            logger: logger, now: clock.now, onListening: onListening)
    } _: { port in
        try await body(RunningService(baseURL: "http://127.0.0.1:\(port)", token: token, store: store, launcher: launcher, database: database))
    }
}

/// The API as a backend uses it, over HTTP.
@Suite struct ServiceAPITests {
    static let body = #"{"gpus": ["NVIDIA GeForce RTX 4090"], "networkVolume": null, "timeoutSeconds": 600}"#

    @Test func createWaitUseAndDeleteAPod() async throws {
        try await withEmulator { emulator in
            try await withService(emulator) { service in
                let created = try await service.call(.POST, "/v1/pods", body: Self.body)
                #expect(created.status == 202)
                let id = try #require(created.json["id"] as? String)
                #expect(created.header("Location") == "/v1/pods/\(id)")
                #expect(created.json["state"] as? String == "pending")

                let ready = try await service.call(.GET, "/v1/pods/\(id)?wait=ready&timeoutSeconds=60")
                #expect(ready.status == 200)
                #expect(ready.json["state"] as? String == "ready")
                let urls = try #require(ready.json["urls"] as? [String: String])
                let app = try #require(urls["8188"])
                var probe = HTTPClientRequest(url: app + "/system_stats")
                probe.method = .GET
                #expect(try await HTTPClient.shared.execute(probe, timeout: .seconds(10)).status == .ok)

                let deleted = try await service.call(.DELETE, "/v1/pods/\(id)")
                #expect(deleted.status == 202)
                #expect(deleted.json["state"] as? String == "terminating")
                #expect(
                    await eventually(timeout: .seconds(30)) {
                        (try? await service.call(.GET, "/v1/pods/\(id)"))?.json["state"] as? String == "terminated"
                    })
                #expect(try await service.call(.DELETE, "/v1/pods/\(id)").status == 200)
                #expect(try await stampedAlive(service.launcher).isEmpty)
                let list = try await service.call(.GET, "/v1/pods?state=terminated")
                #expect((list.json["pods"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])
            }
        }
    }

    @Test func anIdempotentRetryReturnsTheSameLaunchAndNeverASecondPod() async throws {
        try await withEmulator { emulator in
            try await withService(emulator) { service in
                let key = [("Idempotency-Key", "order-42")]
                let first = try await service.call(.POST, "/v1/pods", body: Self.body, headers: key)
                let again = try await service.call(.POST, "/v1/pods", body: Self.body, headers: key)
                #expect(first.status == 202 && again.status == 202)
                #expect(first.json["id"] as? String == again.json["id"] as? String)
                #expect(again.header("Idempotent-Replayed") == "true")
                let other = try await service.call(.POST, "/v1/pods", body: #"{"gpus": ["NVIDIA RTX A5000"], "networkVolume": null}"#, headers: key)
                #expect(other.status == 409)
                #expect(other.header("Content-Type") == "application/problem+json")
                let id = try #require(first.json["id"] as? String)
                _ = try await service.call(.GET, "/v1/pods/\(id)?wait=ready&timeoutSeconds=60")
                #expect(try await stampedAlive(service.launcher).count == 1)
            }
        }
    }

    @Test func withoutTheTokenEveryV1CallIs401AndHealthAnswers() async throws {
        try await withEmulator { emulator in
            try await withService(emulator) { service in
                for token in [nil, "wrong-token"] as [String?] {
                    let answer = try await service.call(.GET, "/v1/pods", token: .some(token))
                    #expect(answer.status == 401)
                    #expect(answer.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
                    #expect(answer.header("Content-Type") == "application/problem+json")
                }
                #expect(try await service.call(.POST, "/v1/pods", body: Self.body, token: .some(nil)).status == 401)
                #expect(try await stampedAlive(service.launcher).isEmpty)
                let health = try await service.call(.GET, "/healthz", token: .some(nil))
                #expect(health.status == 200 && health.json["status"] as? String == "ok" && health.json["leader"] as? Bool == true)
                #expect(try await service.call(.GET, "/v1/openapi.json").json["openapi"] as? String == "3.1.0")
            }
        }
    }

    @Test func badRequestsAreRefusedWithProblemsAndMakeNoPod() async throws {
        try await withEmulator { emulator in
            try await withService(emulator) { service in
                let invalid = try await service.call(.POST, "/v1/pods", body: #"{"gpuCount": "two", "cloudType": "MOON", "colour": 1}"#)
                #expect(invalid.status == 422)
                let errors = try #require(invalid.json["errors"] as? [[String: Any]])
                #expect(Set(errors.compactMap { $0["pointer"] as? String }).isSuperset(of: ["#/gpuCount", "#/cloudType", "#/colour"]))
                #expect(try await service.call(.POST, "/v1/pods", body: "{not json").status == 400)
                let huge = "{\"name\": \"" + String(repeating: "x", count: 1_100_000) + "\"}"
                #expect(try await service.call(.POST, "/v1/pods", body: huge).status == 413)
                #expect(try await service.call(.POST, "/v1/pods", headers: [("Content-Type", "text/plain")]).status == 415)
                #expect(try await service.call(.GET, "/v1/pods/\(Launch.newID())").status == 404)
                #expect(try await service.call(.GET, "/v1/pods/not-an-id").status == 404)
                #expect(try await service.call(.GET, "/v1/pods?state=sleeping").status == 422)
                #expect(try await service.call(.GET, "/v1/nothing-here").status == 404)
                let wrongMethod = try await service.call(.PUT, "/v1/pods")
                #expect(wrongMethod.status == 405 && wrongMethod.header("Allow")?.contains("POST") == true)
                #expect(try await service.call(.POST, "/v1/pods/\(Launch.newID())").status == 405)
                #expect(try await service.store.launches(limit: 10).isEmpty)
            }
        }
    }

    @Test func aHostileNameAndEnvAreStoredAndSentExactly() async throws {
        try await withEmulator { emulator in
            try await withService(emulator) { service in
                let name = "a\\\"b'; DROP TABLE launches; -- ☃"
                let body = #"{"name": "a\\\"b'; DROP TABLE launches; -- ☃", "env": {"X": "$(rm -rf /)\n`id`"}, "networkVolume": null}"#
                let created = try await service.call(.POST, "/v1/pods", body: body)
                #expect(created.status == 202)
                let id = try #require(created.json["id"] as? String)
                let stored = try #require(try await service.store.launch(id: id))
                #expect(stored.name == name)
                _ = try await service.call(.GET, "/v1/pods/\(id)?wait=ready&timeoutSeconds=60")
                let pod = try #require(try await service.launcher.client.listPods().first { PodIdentity.launchID(of: $0) == id })
                #expect(pod.name == stored.name)
                #expect(pod.env?["X"] == "$(rm -rf /)\n`id`")
            }
        }
    }

    @Test func eventsStreamEachChangeAndResumeAfterLastEventIDWithNothingLostOrRepeated() async throws {
        try await withEmulator { emulator in
            try await withService(emulator) { service in
                let created = try await service.call(.POST, "/v1/pods", body: Self.body)
                let id = try #require(created.json["id"] as? String)
                _ = try await service.call(.GET, "/v1/pods/\(id)?wait=ready&timeoutSeconds=60")
                let all = try await readEvents(service, lastEventID: "0", count: 4)
                #expect(all.map(\.state) == ["pending", "creating", "starting", "ready"])
                #expect(all.map(\.id) == all.map(\.id).sorted() && Set(all.map(\.id)).count == 4)
                _ = try await service.call(.DELETE, "/v1/pods/\(id)")
                let rest = try await readEvents(service, lastEventID: String(all[3].id), count: 2)
                #expect(rest.map(\.state) == ["terminating", "terminated"])
                #expect(rest.first?.id == all[3].id + 1)
                #expect(try await service.call(.GET, "/v1/events", headers: [("Last-Event-ID", "999999")], timeout: .seconds(5)).status == 410)
            }
        }
    }

    @Test func theAPIKeyAndTheTokenAreNeverInTheDatabaseOrAnswers() async throws {
        try await withEmulator { emulator in
            try await withService(emulator) { service in
                let created = try await service.call(.POST, "/v1/pods", body: Self.body)
                let id = try #require(created.json["id"] as? String)
                let ready = try await service.call(.GET, "/v1/pods/\(id)?wait=ready&timeoutSeconds=60")
                let metrics = try await service.call(.GET, "/metrics", token: .some(nil))
                #expect(metrics.body.contains("runpod_launcher_launches{state=\"ready\"} 1"))
                #expect(metrics.body.contains("runpod_launcher_reconcile_duration_seconds"))
                #expect(metrics.body.contains("runpod_launcher_runpod_api_calls_total{operation=\"createPod\"} 1"))
                #expect(metrics.body.contains("runpod_launcher_runpod_api_calls_total{operation=\"listPods\"}"))
                for text in [created.body, ready.body, metrics.body] {
                    #expect(!text.contains(emulator.apiKey) && !text.contains(service.token))
                }
                guard case .sqlite(let path) = service.database else { return }
                for file in [path, path + "-wal"] {
                    let bytes = FileManager.default.contents(atPath: file) ?? Data()
                    #expect(bytes.range(of: Data(emulator.apiKey.utf8)) == nil)
                    #expect(bytes.range(of: Data(service.token.utf8)) == nil)
                }
            }
        }
    }

    @Test func shutdownLeavesPodsRunningForTheNextStartUnlessAskedToTerminateThem() async throws {
        try await withEmulator { emulator in
            let database = scratchDatabase()
            let id = try await withService(emulator, database: database) { service in
                let created = try await service.call(.POST, "/v1/pods", body: Self.body)
                let id = try #require(created.json["id"] as? String)
                #expect(try await service.call(.GET, "/v1/pods/\(id)?wait=ready&timeoutSeconds=60").json["state"] as? String == "ready")
                return id
            }
            let launcher = emulatorLauncher(emulator, ledger: nil)
            #expect(try await stampedAlive(launcher)[id]?.count == 1)  // Left as it was: a restart picks it up.
            try await withService(emulator, database: database, terminateOnExit: true) { service in
                let launch = try await service.call(.GET, "/v1/pods/\(id)")
                #expect(launch.json["state"] as? String == "ready")
            }
            #expect(try await stampedAlive(launcher).isEmpty)
            let store = try await openStore(database)
            #expect(try await store.launch(id: id)?.state == .terminated)
            await store.close()
        }
    }

    struct SSEEvent {
        var id: Int64
        var state: String
    }

    /// Reads `count` events from `/v1/events` after `lastEventID`.
    func readEvents(_ service: RunningService, lastEventID: String, count: Int) async throws -> [SSEEvent] {
        var request = HTTPClientRequest(url: service.baseURL + "/v1/events")
        request.headers.add(name: "Authorization", value: "Bearer \(service.token)")
        request.headers.add(name: "Last-Event-ID", value: lastEventID)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.status == .ok)
        var events: [SSEEvent] = []
        var buffer = ""
        for try await chunk in response.body {
            buffer += String(buffer: chunk)
            while let end = buffer.range(of: "\n\n") {
                let block = String(buffer[..<end.lowerBound])
                buffer = String(buffer[end.upperBound...])
                var id: Int64?
                var state: String?
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
                    if line.hasPrefix("data: "),
                        let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
                    {
                        state = object["state"] as? String
                    }
                }
                if let id, let state { events.append(SSEEvent(id: id, state: state)) }
                if events.count >= count { return events }
            }
        }
        return events
    }
}
