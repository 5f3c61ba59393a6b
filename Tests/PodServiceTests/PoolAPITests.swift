import AsyncHTTPClient
import Foundation
import NIOCore
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

@testable import PodService

/// Pools and leases over HTTP against the emulator, with the service's clock moved by hand for idle timeouts and
/// scale-down delays.
@Suite struct PoolAPITests {
    static func pods(_ service: RunningService, _ pool: String) async throws -> [Launch] {
        try await service.store.poolLaunches(pool).filter { $0.state != .terminating }
    }

    @Test func aLeaseOnAnEmptyPoolScalesItFromZeroAndTheIdlePoolReturnsToZero() async throws {
        try await withEmulator { emulator in
            let clock = TestNow()
            try await withService(emulator, clock: clock) { service in
                let put = try await service.call(
                    .PUT, "/v1/pools/gpu", body: #"{"max": 3, "idleTimeoutSeconds": 60, "scaleDownDelaySeconds": 600}"#)
                #expect(put.status == 201, "\(put.body)")
                #expect(try await Self.pods(service, "gpu").isEmpty)  // min 0: nothing runs until there is work.

                let lease = try await service.call(.POST, "/v1/pools/gpu/leases", body: #"{"ttlSeconds": 600, "waitSeconds": 60}"#)
                #expect(lease.status == 201, "\(lease.body)")
                let launchID = try #require(lease.json["launchId"] as? String)
                let url = try #require((lease.json["urls"] as? [String: String])?["8188"])
                #expect(url.contains(try #require(lease.json["podId"] as? String)))
                let status = try await service.call(.GET, "/v1/pools/gpu")
                #expect((status.json["pods"] as? [String: Int])?["ready"] == 1)
                #expect(status.json["leases"] as? Int == 1)

                let leaseID = try #require(lease.json["id"] as? String)
                #expect(try await service.call(.DELETE, "/v1/leases/\(leaseID)").status == 204)
                // Released, the pod is idle; after the idle timeout it goes (well before the scale-down delay).
                clock.advance(31)
                try await Task.sleep(for: .milliseconds(200))
                #expect(try await service.store.launch(id: launchID)?.state == .ready)
                clock.advance(61)
                #expect(await eventually(timeout: .seconds(20)) { (try? await service.store.launch(id: launchID))?.state == .terminated })
                #expect(try await stampedAlive(service.launcher).isEmpty)
            }
        }
    }

    /// One profile on RTX 4090s only ($0.69/h in the emulator's catalog).
    static var rtx4090: LaunchProfiles {
        var profile = LaunchProfile(name: "rtx4090", line: 1)
        profile.gpuTypeIDs = ["NVIDIA GeForce RTX 4090"]
        return LaunchProfiles(path: "profiles.toml", profiles: [profile])
    }

    @Test func pushedDemandScalesToCeilOfDemandPerPodCappedByMaxAndTheCostCeiling() async throws {
        try await withEmulator { emulator in
            try await withService(emulator, profiles: Self.rtx4090) { service in
                let put = try await service.call(.PUT, "/v1/pools/batch", body: #"{"max": 3, "perPodConcurrency": 2, "source": {"kind": "push"}}"#)
                #expect(put.status == 201, "\(put.body)")
                #expect(try await service.call(.PUT, "/v1/pools/batch/demand", body: #"{"backlog": 3}"#).status == 200)
                #expect(await eventually(timeout: .seconds(20)) { (try? await Self.pods(service, "batch").count) == 2 })  // ceil(3/2)
                #expect(try await service.call(.PUT, "/v1/pools/batch/demand", body: #"{"backlog": 50}"#).status == 200)
                #expect(await eventually(timeout: .seconds(20)) { (try? await Self.pods(service, "batch").count) == 3 })  // max
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await Self.pods(service, "batch").count == 3)

                // A second pool with a ceiling of $1.50/h at $0.69 a pod: 2 pods, whatever the demand.
                let capped = try await service.call(
                    .PUT, "/v1/pools/capped",
                    body: #"{"profile": "rtx4090", "max": 10, "maxCostPerHour": 1.5, "source": {"kind": "push"}, "scaleDownDelaySeconds": 0}"#)
                #expect(capped.status == 201, "\(capped.body)")
                _ = try await service.call(.PUT, "/v1/pools/capped/demand", body: #"{"backlog": 9}"#)
                #expect(await eventually(timeout: .seconds(20)) { (try? await Self.pods(service, "capped").count) == 2 })
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await Self.pods(service, "capped").count == 2)
                let status = try await service.call(.GET, "/v1/pools/capped")
                #expect((status.json["reason"] as? String)?.contains("maxCostPerHour") == true)
                let metrics = try await service.call(.GET, "/metrics", token: .some(nil))
                #expect(metrics.body.contains("runpod_launcher_pool_pods{pool=\"capped\"} 2"))
                #expect(metrics.body.contains("runpod_launcher_pool_degraded{pool=\"capped\"} 0"))
            }
        }
    }

    /// The first pod lands on the cheap A5000 (the only one in stock), so the next is budgeted at $0.27/h; it lands on
    /// a $0.69/h 4090 instead, and the pool is over its $0.80/h ceiling: the newer pod goes, and the pool stays at one.
    @Test func aPodThatLandsOverTheCostCeilingIsTrimmedAndNotMadeAgain() async throws {
        var scenario = Scenario()
        scenario.stock = scenario.stock.map { entry in
            var entry = entry
            if entry.gpuTypeId == "NVIDIA RTX A5000" { entry.count = min(entry.count, 1) }
            return entry
        }
        var profile = LaunchProfile(name: "cheap-first", line: 1)
        profile.gpuTypeIDs = ["NVIDIA RTX A5000", "NVIDIA GeForce RTX 4090"]
        try await withEmulator(EmulatorOptions(port: 0, scenario: scenario, timeScale: 0.001)) { emulator in
            try await withService(emulator, profiles: LaunchProfiles(path: "profiles.toml", profiles: [profile])) { service in
                let put = try await service.call(
                    .PUT, "/v1/pools/thrifty",
                    body: #"{"profile": "cheap-first", "max": 3, "maxCostPerHour": 0.8, "source": {"kind": "push"}}"#)
                #expect(put.status == 201, "\(put.body)")
                _ = try await service.call(.PUT, "/v1/pools/thrifty/demand", body: #"{"backlog": 3}"#)
                #expect(
                    await eventually(timeout: .seconds(20)) {
                        let all = (try? await service.store.launches(limit: 100)) ?? []
                        return all.contains { $0.gpuTypeID == "NVIDIA GeForce RTX 4090" && $0.state.isFinal }
                    })
                for _ in 0..<20 {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let live = try await Self.pods(service, "thrifty")
                #expect(live.map(\.gpuTypeID) == ["NVIDIA RTX A5000"])
                let made = try await service.store.launches(limit: 100).filter { $0.pool == "thrifty" }
                #expect(made.count == 2)  // Not made again and again.
            }
        }
    }

    @Test func aPodHoldingALeaseIsNeverTerminatedByAScaleDown() async throws {
        try await withEmulator { emulator in
            let clock = TestNow()
            try await withService(emulator, clock: clock) { service in
                _ = try await service.call(
                    .PUT, "/v1/pools/busy",
                    body: #"{"max": 2, "idleTimeoutSeconds": 10, "scaleDownDelaySeconds": 10, "drainTimeoutSeconds": 20, "source": {"kind": "push"}}"#
                )
                _ = try await service.call(.PUT, "/v1/pools/busy/demand", body: #"{"backlog": 2}"#)
                #expect(await eventually(timeout: .seconds(20)) { (try? await Self.pods(service, "busy").filter { $0.state == .ready }.count) == 2 })
                let lease = try await service.call(.POST, "/v1/pools/busy/leases", body: #"{"ttlSeconds": 3600, "waitSeconds": 5}"#)
                let held = try #require(lease.json["launchId"] as? String)
                // Demand goes; after every delay and timeout, the idle pod goes and the leased one stays.
                _ = try await service.call(.PUT, "/v1/pools/busy/demand", body: #"{"backlog": 0}"#)
                for _ in 0..<6 {
                    clock.advance(15)
                    try await Task.sleep(for: .milliseconds(150))
                }
                #expect(await eventually(timeout: .seconds(20)) { (try? await Self.pods(service, "busy").map(\.id)) == [held] })
                #expect(try await service.store.launch(id: held)?.state == .ready)
                // A draining pod takes no new lease.
                let refused = try await service.call(.POST, "/v1/pools/busy/leases", body: #"{"waitSeconds": 0}"#)
                #expect(refused.status == 503)
                // Released, it goes.
                _ = try await service.call(.DELETE, "/v1/leases/\(try #require(lease.json["id"] as? String))")
                clock.advance(15)
                #expect(await eventually(timeout: .seconds(20)) { (try? await service.store.launch(id: held))?.state == .terminated })
            }
        }
    }

    /// Lease requests are served in arrival order: a slot that opens goes to the oldest request waiting, never to a later
    /// one (here a request with `waitSeconds` 0 that arrives as the slot opens, which used to take it at once while the
    /// waiting ones slept until their next look).
    @Test func waitingLeaseRequestsAreServedInArrivalOrder() async throws {
        try await withEmulator { emulator in
            let clock = TestNow()
            try await withService(emulator, clock: clock) { service in
                let put = try await service.call(
                    .PUT, "/v1/pools/fifo", body: #"{"min": 1, "max": 1, "idleTimeoutSeconds": 86400, "scaleDownDelaySeconds": 86400}"#)
                #expect(put.status == 201, "\(put.body)")
                let first = try await service.call(.POST, "/v1/pools/fifo/leases", body: #"{"ttlSeconds": 30, "waitSeconds": 60}"#)
                #expect(first.status == 201, "\(first.body)")
                let pod = try #require(first.json["launchId"] as? String)

                // Two requests wait, in order, for the pool's only slot.
                let second = Task { try await service.call(.POST, "/v1/pools/fifo/leases", body: #"{"ttlSeconds": 600, "waitSeconds": 60}"#) }
                #expect(await eventually { (try? await service.call(.GET, "/v1/pools/fifo"))?.json["waiting"] as? Int == 1 })
                let third = Task { try await service.call(.POST, "/v1/pools/fifo/leases", body: #"{"ttlSeconds": 600, "waitSeconds": 60}"#) }
                #expect(await eventually { (try? await service.call(.GET, "/v1/pools/fifo"))?.json["waiting"] as? Int == 2 })

                // The first lease expires (no write, so the waiting requests only notice at their next look): a request
                // arriving now does not take the slot ahead of them.
                clock.advance(31)
                // (The jump also outran the waiting requests' heartbeat: wait for the next beat to mark them alive.)
                #expect(await eventually { (try? await service.call(.GET, "/v1/pools/fifo"))?.json["waiting"] as? Int == 2 })
                let late = try await service.call(.POST, "/v1/pools/fifo/leases", body: #"{"waitSeconds": 0}"#)
                #expect(late.status == 503, "\(late.body)")
                let granted = try await second.value
                #expect(granted.status == 201, "\(granted.body)")
                #expect(granted.json["launchId"] as? String == pod)
                #expect((try? await service.call(.GET, "/v1/pools/fifo"))?.json["waiting"] as? Int == 1)

                // Released, the slot goes to the next in line at once.
                let id = try #require(granted.json["id"] as? String)
                #expect(try await service.call(.DELETE, "/v1/leases/\(id)").status == 204)
                let next = try await third.value
                #expect(next.status == 201, "\(next.body)")
                #expect(next.json["launchId"] as? String == pod)
            }
        }
    }

    @Test func aPodWhoseComfyUIQueueIsBusyIsNeverScaledDownAndNoJobIsLost() async throws {
        try await withEmulator { emulator in
            let clock = TestNow()
            try await withService(emulator, clock: clock) { service in
                _ = try await service.call(
                    .PUT, "/v1/pools/comfy",
                    body: #"{"max": 1, "idleTimeoutSeconds": 10, "scaleDownDelaySeconds": 10, "source": {"kind": "push"}}"#)
                _ = try await service.call(.PUT, "/v1/pools/comfy/demand", body: #"{"backlog": 1}"#)
                #expect(await eventually(timeout: .seconds(20)) { (try? await Self.pods(service, "comfy").first?.state) == .ready })
                let pod = try #require(try await Self.pods(service, "comfy").first)
                let app = try #require(pod.urls?[8188])
                // A job sent straight to ComfyUI (no lease): 10⁶ s at RunPod's pace is ~17 min here, at time scale 0.001.
                var prompt = HTTPClientRequest(url: app + "/prompt")
                prompt.method = .POST
                prompt.body = .bytes(
                    ByteBuffer(string: #"{"prompt": {"9": {"class_type": "SaveImage"}}, "extra_data": {"emulator_seconds": 1000000}}"#))
                let queued = try await HTTPClient.shared.execute(prompt, timeout: .seconds(10))
                #expect(queued.status == .ok)
                _ = try await service.call(.PUT, "/v1/pools/comfy/demand", body: #"{"backlog": 0}"#)
                for _ in 0..<6 {
                    clock.advance(15)
                    try await Task.sleep(for: .milliseconds(150))
                }
                #expect(try await service.store.launch(id: pod.id)?.state == .ready)
                // The queue empties (the job is interrupted by its owner); then the idle pod goes, and nothing was lost.
                var interrupt = HTTPClientRequest(url: app + "/interrupt")
                interrupt.method = .POST
                _ = try await HTTPClient.shared.execute(interrupt, timeout: .seconds(10))
                clock.advance(15)
                #expect(await eventually(timeout: .seconds(20)) { (try? await service.store.launch(id: pod.id))?.state == .terminated })
                let podID = try #require(pod.podID)
                let record = await emulator.state().pods.first { $0.id == podID }
                #expect(record?.comfy.jobsLostByTermination == 0)
                #expect(record?.comfy.jobsInterrupted == 1)
            }
        }
    }

    @Test func deletingAPoolTerminatesItsPodsAndRemovesIt() async throws {
        try await withEmulator { emulator in
            try await withService(emulator) { service in
                _ = try await service.call(.PUT, "/v1/pools/gone", body: #"{"min": 2, "max": 2}"#)
                #expect(await eventually(timeout: .seconds(20)) { (try? await Self.pods(service, "gone").filter { $0.state == .ready }.count) == 2 })
                #expect(try await service.call(.DELETE, "/v1/pools/gone").status == 202)
                #expect(await eventually(timeout: .seconds(20)) { (try? await service.call(.GET, "/v1/pools/gone"))?.status == 404 })
                #expect(try await stampedAlive(service.launcher).isEmpty)
            }
        }
    }

    @Test func thePageShowsEachPoolWithoutTokenOrSecretsAndStreamsUpdates() async throws {
        try await withEmulator { emulator in
            try await withService(emulator) { service in
                _ = try await service.call(.PUT, "/v1/pools/page-pool", body: #"{"min": 1, "max": 2}"#)
                #expect(await eventually(timeout: .seconds(20)) { (try? await Self.pods(service, "page-pool").first?.state) == .ready })
                let page = try await service.call(.GET, "/", token: .some(nil))
                #expect(page.status == 200 && page.header("Content-Type")?.hasPrefix("text/html") == true)
                #expect(page.body.contains("pool page-pool") && page.body.contains("ready: <b>1</b>") && page.body.contains("<svg"))
                #expect(page.body.contains("/h now"))
                let pod = try #require(try await Self.pods(service, "page-pool").first)
                #expect(!page.body.contains(pod.id) && !page.body.contains(pod.podID ?? "?") && !page.body.contains(service.token))
                var request = HTTPClientRequest(url: service.baseURL + "/dashboard/events")
                request.method = .GET
                let stream = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
                #expect(stream.headers.first(name: "Content-Type") == "text/event-stream")
                var received = ""
                for try await chunk in stream.body {
                    received += String(buffer: chunk)
                    if received.contains("\n\n") { break }
                }
                #expect(received.hasPrefix("event: fragment\ndata: "))
                #expect(received.contains("pool page-pool"))
            }
        }
    }

    @Test func aFailingSourceMarksThePoolDegradedAndHoldsItsPods() async throws {
        try await withEmulator { emulator in
            let clock = TestNow()
            try await withService(emulator, clock: clock) { service in
                _ = try await service.call(.PUT, "/v1/pools/flaky", body: #"{"max": 3, "scaleDownDelaySeconds": 0, "source": {"kind": "push"}}"#)
                _ = try await service.call(.PUT, "/v1/pools/flaky/demand", body: #"{"backlog": 2}"#)
                #expect(await eventually(timeout: .seconds(20)) { (try? await Self.pods(service, "flaky").filter { $0.state == .ready }.count) == 2 })
                // The source moves to a Flower that does not answer: the pool keeps its two pods and says why.
                let moved = try await service.call(
                    .PUT, "/v1/pools/flaky",
                    body:
                        #"{"max": 3, "scaleDownDelaySeconds": 0, "source": {"kind": "http-json", "url": "http://127.0.0.1:9/api/queues/length", "path": "celery", "timeoutSeconds": 0.5}}"#
                )
                #expect(moved.status == 200, "\(moved.body)")
                #expect(
                    await eventually(timeout: .seconds(20)) {
                        (try? await service.call(.GET, "/v1/pools/flaky"))?.json["degraded"] as? String != nil
                    })
                clock.advance(600)
                try await Task.sleep(for: .milliseconds(300))
                let after = try await service.call(.GET, "/v1/pools/flaky")
                #expect(try await Self.pods(service, "flaky").count == 2, "\(after.body)")
                let metrics = try await service.call(.GET, "/metrics", token: .some(nil))
                #expect(metrics.body.contains("runpod_launcher_pool_degraded{pool=\"flaky\"} 1"))
            }
        }
    }

    @Test func aPostgresSourceIsShownWithItsPasswordHiddenAndAReadThatFailsDegradesThePool() async throws {
        let port = try await closedPort()
        let url = "postgres://reader:pg-CANARY-3@127.0.0.1:\(port)/app?sslmode=disable"
        try await withEmulator { emulator in
            try await withService(emulator) { service in
                let put = try await service.call(
                    .PUT, "/v1/pools/jobs",
                    body: #"{"max": 2, "source": {"kind": "postgres", "url": "\#(url)", "query": "SELECT count(*) FROM jobs", "timeoutSeconds": 1}}"#)
                #expect(put.status == 201, "\(put.body)")
                #expect(
                    await eventually(timeout: .seconds(20)) {
                        (try? await service.call(.GET, "/v1/pools/jobs"))?.json["degraded"] as? String != nil
                    })
                let shown = try await service.call(.GET, "/v1/pools/jobs")
                let source = (shown.json["settings"] as? [String: Any])?["source"] as? [String: Any]
                #expect(source?["url"] as? String == "postgres://reader:***@127.0.0.1:\(port)/app?sslmode=disable", "\(shown.body)")
                #expect(source?["query"] as? String == "SELECT count(*) FROM jobs")
                for body in [put.body, shown.body, try await service.call(.GET, "/v1/pools").body] {
                    #expect(!body.contains("CANARY"), "\(body)")
                }
            }
        }
    }

    @Test func badPoolSettingsAreRefusedWithEveryError() async throws {
        try await withEmulator { emulator in
            try await withService(emulator) { service in
                let bad = try await service.call(
                    .PUT, "/v1/pools/x", body: #"{"max": 0, "perPodConcurrency": "two", "maxCostPerHour": -1, "colour": 1}"#)
                #expect(bad.status == 422)
                let pointers = Set(((bad.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["pointer"] as? String })
                #expect(pointers.isSuperset(of: ["#/max", "#/perPodConcurrency", "#/maxCostPerHour", "#/colour"]))
                #expect(try await service.call(.PUT, "/v1/pools/x", body: #"{"min": 3, "max": 2}"#).status == 422)
                let source = try await service.call(.PUT, "/v1/pools/x", body: #"{"max": 2, "source": {"kind": "redis", "url": "0"}}"#)
                #expect(source.status == 422)
                let sourceError = try #require((source.json["errors"] as? [[String: Any]])?.first)
                #expect(sourceError["pointer"] as? String == "#/source/url")
                #expect((sourceError["detail"] as? String)?.contains("DecodingError") == false)
                #expect(try await service.call(.PUT, "/v1/pools/x", body: #"{"max": 2, "profile": "nope"}"#).status == 422)
                // The same strict reader as POST /v1/pods: a duplicate key is refused, an integral float is an integer.
                #expect(try await service.call(.PUT, "/v1/pools/x", body: #"{"max": 2, "max": 3}"#).status == 422)
                #expect(try await service.call(.PUT, "/v1/pools/x", body: #"{"max": 2.0}"#).status == 201)
                #expect(try await service.call(.PUT, "/v1/pools/x", body: "[1]").status == 400)
                #expect(try await service.call(.POST, "/v1/pools/none/leases", body: "{}").status == 404)
                #expect(try await service.call(.DELETE, "/v1/leases/unknown").status == 404)
            }
        }
    }
}
