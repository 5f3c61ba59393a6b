import Foundation
import PodLauncher
import RunPodAPI
import TestSupport
import Testing

@Suite("placement")
struct PlacementTests {
    @Test("a network volume pins the pod to its data center, in Secure Cloud, mounted")
    func volumePinsDataCenter() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40, rtx4090]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40"]))
        #expect(pod.dataCenterID == "EU-RO-1")
        let body = try #require(h.fake.createBodies.first)
        #expect(body["dataCenterIds"] as? [String] == ["EU-RO-1"])
        #expect(body["cloud"] as? String == "SECURE")
        #expect(((body["mounts"] as? [String: Any])?["network"] as? [[String: String]]) == [["volumeId": "vol1", "path": "/workspace"]])
        #expect((body["gpu"] as? [String: Any])?["id"] as? String == "NVIDIA A40")
        #expect((body["gpu"] as? [String: Any])?["count"] as? Int == 1)
        #expect(body["ports"] as? [String] == ["8188/http"])
        #expect(body["disk"] as? Int == 50)
        #expect(body["image"] as? String == "bilunsun/comfyuiprod:pod-test-0")
        let env = try #require(body["env"] as? [String: String])
        #expect(env["HF_HOME"] == "/workspace/hf")
        #expect(env[PodIdentity.markerKey] == "1")
        #expect(h.events.events.contains(.volumeResolved(volumeID: "vol1", dataCenterID: "EU-RO-1")))
        let catalogURL = try #require(h.fake.requests.first { $0.url.path == "/v2/catalog/gpus" }?.url.absoluteString)
        #expect(catalogURL.contains("cloud=SECURE") && catalogURL.contains("include=AVAILABILITY") && catalogURL.contains("product=POD"))
    }

    @Test("candidates follow the user's order, skipping GPUs with no stock in the volume's data center")
    func userOrderWithStock() async throws {
        let h = Harness(
            fake: FakeRunPod(gpus: [a40, rtx4090, l40s, h100], createScript: [.problem(400, "There are no longer any instances available")]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA H100 80GB HBM3", "NVIDIA GeForce RTX 4090", "NVIDIA L40S"]))
        #expect(h.fake.createBodies.compactMap { ($0["gpu"] as? [String: Any])?["id"] as? String } == ["NVIDIA GeForce RTX 4090", "NVIDIA L40S"])
        #expect(pod.gpuTypeID == "NVIDIA L40S")
        let chosen = h.events.events.compactMap { event -> [String]? in
            if case .candidatesChosen(_, let candidates) = event { return candidates.map(\.gpuTypeID) }
            return nil
        }
        #expect(chosen == [["NVIDIA GeForce RTX 4090", "NVIDIA L40S"]])
    }

    @Test("nothing fits: noCapacity names the data center, each GPU and RunPod's answer, and what is available")
    func noCapacity() async throws {
        let detail = "There are no longer any instances available with the requested specifications. Please refresh and try again."
        let h = Harness(fake: FakeRunPod(gpus: [a40, rtx4090, l40s, h100], createScript: [.problem(400, detail), .problem(400, detail)]))
        let error = try await #require(throws: LauncherError.self) {
            try await h.launcher.createPod(spec(["NVIDIA GeForce RTX 4090", "NVIDIA A40", "NVIDIA H100 80GB HBM3"]))
        }
        guard case .noCapacity(let dc, let tried, let available, nil) = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(dc == "EU-RO-1")
        #expect(Set(tried.map(\.candidate.gpuTypeID)) == ["NVIDIA GeForce RTX 4090", "NVIDIA A40", "NVIDIA H100 80GB HBM3"])
        #expect(available.first == "NVIDIA A40")
        #expect(available.contains("NVIDIA L40S"))
        let text = error.description
        #expect(text.hasPrefix("No capacity in EU-RO-1 for: "))
        #expect(text.contains("NVIDIA GeForce RTX 4090 (400: There are no longer"))
        #expect(text.contains("NVIDIA H100 80GB HBM3 (not tried: catalog shows no stock in EU-RO-1)"))
        #expect(text.contains("Try --gpu \"NVIDIA A40\""))
    }

    @Test("403 skips the candidate, 400 tries the next", arguments: [400, 403])
    func rejectedTriesNext(status: Int) async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40, l40s], createScript: [.problem(status, "nope")]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40", "NVIDIA L40S"]))
        #expect(pod.gpuTypeID == "NVIDIA L40S")
        #expect(h.fake.creates == 2)
        #expect(h.events.events.contains { if case .candidateRejected(_, status, "nope") = $0 { true } else { false } })
    }

    @Test("402 stops at once: no candidate can succeed")
    func insufficientBalance() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40, l40s], createScript: [.problem(402, "insufficient balance")]))
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.createPod(spec(["NVIDIA A40", "NVIDIA L40S"])) }
        guard case .insufficientBalance = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(h.fake.creates == 1)
    }

    @Test("422 stops and reports RunPod's violations as invalid input")
    func unprocessable() async throws {
        let h = Harness(
            fake: FakeRunPod(gpus: [a40, l40s], createScript: [.problem(422, "Request validation failed.", errors: ["$.disk: must be >= 1"])]))
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.createPod(spec(["NVIDIA A40", "NVIDIA L40S"])) }
        guard case .invalidInput(let message) = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(message.contains("$.disk: must be >= 1"))
        #expect(h.fake.creates == 1)
    }

    @Test("429 waits Retry-After and retries the same candidate")
    func rateLimitedCreate() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40, l40s], createScript: [.problem(429, "rate limit exceeded", retryAfter: 9)]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40", "NVIDIA L40S"]))
        #expect(pod.gpuTypeID == "NVIDIA A40")
        #expect(h.fake.creates == 2)
        #expect(h.clock.sleeps.contains(.seconds(9)))
    }

    @Test("5xx retries the same candidate, looking for the pod before each retry, and gives up bounded")
    func serverErrorsBounded() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40, l40s], createScript: Array(repeating: .problem(503, "busy"), count: 10)))
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.createPod(spec(["NVIDIA A40", "NVIDIA L40S"])) }
        guard case .unreachable(let apiError) = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(h.fake.creates == 4)
        #expect(apiError.attempts.count == 4)
        // One listing before each retry and after the last failure (4); the cleanup then looks for the pod by its
        // identity up to 3 times more (a create RunPod applied may show up late). Never a read of one pod.
        #expect(h.fake.requests.filter { $0.method == "GET" && $0.url.path == "/v2/pods" }.count == 4 + 3)
        #expect(h.fake.count("GET", "/v2/pods/") == 0)
        #expect(h.fake.createBodies.allSatisfy { ($0["gpu"] as? [String: Any])?["id"] as? String == "NVIDIA A40" })
    }

    @Test("a create whose answer was lost adopts the pod it made instead of creating a second")
    func ambiguousCreateAdopted() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40, l40s], createScript: [.dropAfterApply]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40", "NVIDIA L40S"]))
        #expect(h.fake.creates == 1)
        #expect(pod.id == "pod1")
        #expect(h.fake.state.withLock { $0.pods.count } == 1)
    }

    @Test("a create that never left is simply sent again")
    func refusedCreateResent() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40], createScript: [.refuse]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40"]))
        #expect(h.fake.creates == 2)
        #expect(h.fake.state.withLock { $0.pods.count } == 1)
        #expect(pod.gpuTypeID == "NVIDIA A40")
    }

    @Test("an unknown GPU ID is invalid input naming the closest valid one, before any create")
    func unknownGPU() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40, rtx4090, l40s]))
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.createPod(spec(["RTX 4090"])) }
        guard case .invalidInput(let message) = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(message.contains("Did you mean \"NVIDIA GeForce RTX 4090\"?"))
        #expect(message.contains("NVIDIA L40S"))
        #expect(h.fake.creates == 0)
    }

    @Test("Community Cloud with a network volume is refused with the reason, before any request")
    func communityWithVolume() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40]))
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.createPod(spec(["NVIDIA A40"], cloud: .community)) }
        #expect(error.description.contains("Secure Cloud"))
        #expect(h.fake.requests.isEmpty)
    }

    @Test("without a volume, ALL tries Secure then Community, with no data center pin")
    func allWithoutVolume() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40], createScript: [.problem(400, "no secure capacity")]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40"], volume: nil))
        #expect(h.fake.createBodies.map { $0["cloud"] as? String } == ["SECURE", "COMMUNITY"])
        #expect(h.fake.createBodies.allSatisfy { $0["dataCenterIds"] == nil && $0["mounts"] == nil })
        #expect(pod.id == "pod1")
    }

    @Test("an unknown network volume is notFound naming it")
    func unknownVolume() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40]))
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.createPod(spec(["NVIDIA A40"], volume: "vol-nope")) }
        guard case .notFound(let kind, let id) = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(kind == "network volume" && id == "vol-nope")
        #expect(error.description == "No network volume with ID vol-nope in this RunPod account.")
    }

    struct BadSpec: Sendable, CustomTestStringConvertible {
        var spec: LaunchSpec
        var mentions: String
        var testDescription: String { mentions }
    }

    @Test(
        "specs that cannot work are refused before anything is sent",
        arguments: [
            BadSpec(spec: LaunchSpec(gpuTypeIDs: ["NVIDIA A40"], gpuCount: 0), mentions: "at least 1"),
            BadSpec(spec: LaunchSpec(gpuTypeIDs: []), mentions: "No GPU type"),
            BadSpec(spec: LaunchSpec(gpuTypeIDs: ["NVIDIA A40"], env: ["": "x"]), mentions: "empty name"),
            BadSpec(spec: LaunchSpec(gpuTypeIDs: ["NVIDIA A40"], ports: [PortSpec(port: 70000, protocol: .http)]), mentions: "out of range"),
            BadSpec(
                spec: LaunchSpec(gpuTypeIDs: ["NVIDIA A40"], ports: [PortSpec(port: 80, protocol: .http), PortSpec(port: 80, protocol: .tcp)]),
                mentions: "twice"),
            BadSpec(spec: LaunchSpec(gpuTypeIDs: ["NVIDIA A40"], image: ""), mentions: "image"),
        ])
    func invalidSpecs(_ bad: BadSpec) async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40]))
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.createPod(bad.spec) }
        guard case .invalidInput(let message) = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(message.contains(bad.mentions), "\(message)")
        #expect(h.fake.requests.isEmpty)
    }

    @Test("a zero timeout is invalid input")
    func zeroTimeout() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40]))
        await #expect(throws: LauncherError.self) { try await h.launcher.waitForReady(podID: "pod1", timeout: .zero) }
        #expect(h.fake.requests.isEmpty)
    }
}
