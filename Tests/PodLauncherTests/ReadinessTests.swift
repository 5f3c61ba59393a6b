import Foundation
import Logging
import PodLauncher
import RunPodAPI
import Synchronization
import TestSupport
import Testing

@Suite("readiness, termination and the scoped lifecycle")
struct ReadinessTests {
    func statuses(_ events: [LaunchEvent]) -> [RunPod.PodStatus] {
        events.compactMap { if case .statusChanged(_, _, let to, _) = $0 { to } else { nil } }
    }

    @Test("ready means RUNNING with ports and the app port answering below 500")
    func readyAfterProbe() async throws {
        let fake = FakeRunPod(gpus: [a40], statusScript: ["PROVISIONING", "STARTING", "STARTING", "RUNNING"])
        let h = Harness(fake: fake, proxy: FakeProxy([502, 502, 200]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40"]))
        let ready = try await h.launcher.waitForReady(podID: pod.id, timeout: .seconds(300))
        #expect(statuses(h.events.events) == [.provisioning, .starting, .running])
        #expect(h.proxy.requests.count > 3, "the app is probed from the first read on, not only once RUNNING")
        #expect(h.fake.count("GET", "/v2/pods/pod1") == 4, "reads on the API schedule, plus one confirming the first answer")
        #expect(h.proxy.requests.first?.url.absoluteString == "https://pod1-8188.proxy.test/system_stats")
        #expect(h.proxy.requests.allSatisfy { $0.header("Authorization") == nil }, "the proxy never sees the key")
        #expect(ready.urls[8188]?.absoluteString == "https://pod1-8188.proxy.test")
        #expect(ready.pod.status == .running)
        #expect(ready.sshCommand == "ssh u@ssh.runpod.io")
        #expect(h.events.events.contains { if case .appAnswered(_, 8188, 200, _) = $0 { true } else { false } })
        #expect(h.events.events.contains { if case .ready = $0 { true } else { false } })
    }

    @Test("after a create the first read waits for the schedule (the create's answer was a read); waitForReady reads at once")
    func firstReadAfterCreateWaits() async throws {
        let launched = Harness(fake: FakeRunPod(gpus: [a40], statusScript: ["RUNNING"]), probeApp: false)
        let ready = try await launched.launcher.launchPod(spec(["NVIDIA A40"]))
        #expect(ready.readyAfter == PollSchedule.standard.initial, "the first read comes one scheduled delay after the create")
        #expect(launched.fake.count("GET", "/v2/pods/pod1") == 1)

        let waited = Harness(fake: FakeRunPod(gpus: [a40], statusScript: ["RUNNING"]), probeApp: false)
        let pod = try await waited.launcher.createPod(spec(["NVIDIA A40"]))
        let found = try await waited.launcher.waitForReady(podID: pod.id)
        #expect(found.readyAfter == .zero, "a pod known only by its ID is read at once")
        #expect(waited.fake.count("GET", "/v2/pods/pod1") == 1)
    }

    @Test("probeApp=false: RUNNING with ports is ready, nothing probed")
    func noProbe() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40], statusScript: ["STARTING", "RUNNING"]), proxy: FakeProxy([502]), probeApp: false)
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40"]))
        _ = try await h.launcher.waitForReady(podID: pod.id, timeout: .seconds(60))
        #expect(h.proxy.requests.isEmpty)
    }

    @Test("ERROR, EXITED and TERMINATED fail the wait at once", arguments: ["ERROR", "EXITED", "TERMINATED"])
    func terminalStatuses(status: String) async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40], statusScript: ["STARTING", status]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40"]))
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.waitForReady(podID: pod.id, timeout: .seconds(300)) }
        guard case .podFailed(let id, let reported, _) = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(id == pod.id && reported.rawValue == status)
        #expect(error.description.contains("RunPod reports \(status)"))
    }

    @Test("a pod that never gets ready times out saying what it waited for")
    func timeout() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40], statusScript: ["PROVISIONING", "STARTING"]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40"]))
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.waitForReady(podID: pod.id, timeout: .seconds(120)) }
        guard case .timedOut(let id, let after, let last, let waitingFor) = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(id == pod.id && after == .seconds(120) && last == .starting)
        #expect(waitingFor.contains("STARTING"))
        #expect(h.clock.totalSlept == .seconds(120), "sleeps never run past the deadline")
        #expect(error.description.hasPrefix("Pod pod1 was not ready after 120 s (last status STARTING)"))
    }

    @Test("an app that never answers times out naming the URL and the last probe")
    func probeTimeout() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40], statusScript: ["RUNNING"]), proxy: FakeProxy([502]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40"]))
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.waitForReady(podID: pod.id, timeout: .seconds(30)) }
        guard case .timedOut(_, _, .running?, let waitingFor) = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(waitingFor.contains("https://pod1-8188.proxy.test/system_stats") && waitingFor.contains("HTTP 502"))
    }

    @Test("polling stays well inside 60 requests a minute")
    func pollingBudget() {
        let schedule = PollSchedule.standard
        var elapsed = Duration.zero
        var polls = 0
        while elapsed < .seconds(60) {
            polls += 1
            elapsed += schedule.delay(afterPoll: polls)
        }
        #expect(polls <= 10)
        // 2 s, doubling, capped at 10 s: at most 6 reads a minute once settled (issue 11; was 1 s ×1.5 up to 5 s).
        #expect((1...5).map { schedule.delay(afterPoll: $0) } == [2, 4, 8, 10, 10].map { Duration.seconds($0) })
        #expect(schedule.delay(afterPoll: 50) == .seconds(10))
    }

    @Test("a low RateLimit budget stretches polling until the window resets")
    func pollingSlowsOnLowBudget() {
        let schedule = PollSchedule.standard
        let low = RateLimitStatus(rateLimit: #""minute";r=2;t=30"#, policy: nil)
        #expect(schedule.delay(afterPoll: 1, rateLimit: low) == .seconds(15))
        let none = RateLimitStatus(rateLimit: #""minute";r=0;t=12"#, policy: nil)
        #expect(schedule.delay(afterPoll: 1, rateLimit: none) >= .seconds(12))
        let plenty = RateLimitStatus(rateLimit: #""minute";r=50;t=30"#, policy: nil)
        #expect(schedule.delay(afterPoll: 1, rateLimit: plenty) == .seconds(2))
    }

    @Test("terminate deletes, then reads back until RunPod says the pod is gone")
    func terminateConfirmed() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40]))
        let pod = try await h.launcher.createPod(spec(["NVIDIA A40"]))
        try await h.launcher.terminatePod(podID: pod.id)
        #expect(h.fake.count("DELETE", "/v2/pods/pod1") == 1)
        #expect(h.fake.count("GET", "/v2/pods/pod1") >= 1)
        #expect(h.events.events.suffix(2) == [.terminating(podID: "pod1", reason: "requested"), .terminated(podID: "pod1")])
    }

    @Test("terminating an unknown pod is notFound")
    func terminateUnknown() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40]))
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.terminatePod(podID: "pod-nope") }
        guard case .notFound("pod", "pod-nope") = error.reason else {
            Issue.record("\(error)")
            return
        }
    }

    @Test("a launch that fails after the pod exists terminates it and says which pod")
    func launchPodCleansUp() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40], statusScript: ["STARTING", "ERROR"]))
        let error = try await #require(throws: LauncherError.self) {
            try await h.launcher.launchPod(spec(["NVIDIA A40"]), options: LaunchOptions(timeout: .seconds(60)))
        }
        #expect(error.terminated == ["pod1"])
        #expect(error.leftRunning.isEmpty)
        guard case .podFailed = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(h.fake.count("DELETE", "/v2/pods/pod1") == 1)
        #expect(error.description.contains("Pod pod1 was terminated."))
    }

    @Test("keepOnFailure leaves the pod and says so")
    func keepOnFailure() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40], statusScript: ["STARTING"]))
        let error = try await #require(throws: LauncherError.self) {
            try await h.launcher.launchPod(spec(["NVIDIA A40"]), options: LaunchOptions(timeout: .seconds(10), keepOnFailure: true))
        }
        #expect(error.leftRunning == ["pod1"] && error.terminated.isEmpty)
        #expect(h.fake.count("DELETE", "/v2/pods") == 0)
        #expect(error.description.contains("still running"))
    }

    @Test("withPod terminates after the body succeeds, and after it throws")
    func withPodAlwaysTerminates() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40]))
        let value = try await h.launcher.withPod(spec(["NVIDIA A40"])) { ready in ready.pod.id }
        #expect(value == "pod1")
        #expect(h.fake.count("DELETE", "/v2/pods/pod1") == 1)

        struct BodyFailed: Error {}
        await #expect(throws: BodyFailed.self) {
            try await h.launcher.withPod(spec(["NVIDIA A40"])) { _ in throw BodyFailed() }
        }
        #expect(h.fake.count("DELETE", "/v2/pods/pod2") == 1)
    }

    @Test("withPod terminates when its task is cancelled during the body")
    func withPodCancelled() async throws {
        let h = Harness(fake: FakeRunPod(gpus: [a40]))
        await #expect(throws: CancellationError.self) {
            try await h.launcher.withPod(spec(["NVIDIA A40"])) { _ in
                withUnsafeCurrentTask { $0?.cancel() }
                try Task.checkCancellation()
            }
        }
        #expect(h.fake.count("DELETE", "/v2/pods/pod1") == 1)
        #expect(h.fake.state.withLock { $0.deleted } == ["pod1"])
    }

    @Test("a launch cancelled while waiting terminates the pod")
    func cancelledWhileWaiting() async throws {
        let fake = FakeRunPod(gpus: [a40], statusScript: ["PROVISIONING"])
        fake.state.withLock { $0.cancelCallerOnRead = 2 }  // SIGINT lands during the second read of the pod
        let h = Harness(fake: fake)
        let result = await Task { try await h.launcher.launchPod(spec(["NVIDIA A40"]), options: LaunchOptions(timeout: .seconds(60))) }.result
        let error = try #require(throws: LauncherError.self) { try result.get() }
        #expect(error.isCancellation)
        #expect(error.terminated == ["pod1"] && error.leftRunning.isEmpty, "\(error)")
        #expect(fake.state.withLock { $0.deleted } == ["pod1"])
    }

    @Test("a launch cancelled while its create is in flight finds the pod and terminates it")
    func cancelledDuringCreate() async throws {
        let fake = FakeRunPod(gpus: [a40], createScript: [.createAndCancelCaller])
        let h = Harness(fake: fake)
        let result = await Task { try await h.launcher.launchPod(spec(["NVIDIA A40"]), options: LaunchOptions(timeout: .seconds(60))) }.result
        let error = try #require(throws: LauncherError.self) { try result.get() }
        #expect(error.isCancellation)
        #expect(error.terminated == ["pod1"] && error.leftRunning.isEmpty, "\(error)")
        #expect(fake.state.withLock { $0.deleted } == ["pod1"])
    }

    @Test("errors and logs never contain the API key")
    func keyNeverLogged() async throws {
        let sink = LogSink()
        var logger = Logger(label: "test", factory: { _ in sink })
        logger.logLevel = .trace
        let h = Harness(fake: FakeRunPod(gpus: [a40], createScript: [.problem(401, "invalid api key")]), logger: logger)
        let error = try await #require(throws: LauncherError.self) { try await h.launcher.launchPod(spec(["NVIDIA A40"])) }
        guard case .unauthorized = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(error.description.contains("$RUNPOD_API_KEY"))
        #expect(!error.description.contains(unitKey))
        #expect(!sink.lines.isEmpty)
        #expect(sink.lines.allSatisfy { !$0.contains(unitKey) && !$0.contains("UNITSECRET") })
    }
}

/// Captures every log line with its metadata.
final class LogSink: LogHandler, Sendable {
    private let store = Mutex<[String]>([])
    var lines: [String] { store.withLock { $0 } }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    func log(event: LogEvent) {
        store.withLock { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
    }
}
