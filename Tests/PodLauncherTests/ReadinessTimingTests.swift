import Foundation
import PodLauncher
import RunPodAPI
import Synchronization
import TestSupport
import Testing

/// A pod whose status and app follow the test clock: PROVISIONING, RUNNING with ports from `runningAt`, the app
/// answering from `appAt`. Records when each API read and each probe happened.
final class TimedPod: Sendable {
    struct Log {
        var reads: [Duration] = []
        var probes: [(at: Duration, status: Int)] = []
    }

    let clock: SkippingClock
    let runningAt: Duration
    let appAt: Duration
    /// What the proxy answers before the app is up (RunPod's says 502; a misbehaving one may say 404 early).
    let beforeApp: Int
    let log = Mutex(Log())

    init(clock: SkippingClock, runningAt: Duration, appAt: Duration, beforeApp: Int = 502) {
        self.clock = clock
        self.runningAt = runningAt
        self.appAt = appAt
        self.beforeApp = beforeApp
    }

    var now: Duration { clock.now.offset }
    var reads: [Duration] { log.withLock { $0.reads } }
    var probes: [(at: Duration, status: Int)] { log.withLock { $0.probes } }

    /// The API side: `GET /v2/pods/pod1`.
    struct API: HTTPTransport {
        let pod: TimedPod
        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            let now = pod.now
            pod.log.withLock { $0.reads.append(now) }
            let running = now >= pod.runningAt
            var body: [String: Any] = [
                "id": "pod1", "name": "timed", "status": running ? "RUNNING" : "PROVISIONING", "ports": ["8188/http"],
                "image": "bilunsun/comfyuiprod:pod-test-0",
            ]
            if running { body["runtime"] = ["uptime": 1, "ports": [["private": 8188, "public": 8188, "type": "http", "ip": "100.65.13.7"]]] }
            return HTTPResponse(
                status: 200, headers: [("Content-Type", "application/json")], body: try JSONSerialization.data(withJSONObject: body))
        }
    }

    /// The app port through the proxy.
    struct Proxy: HTTPTransport {
        let pod: TimedPod
        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            let now = pod.now
            let status = now >= pod.appAt && now >= pod.runningAt ? 200 : (now >= pod.runningAt ? 502 : pod.beforeApp)
            pod.log.withLock { $0.probes.append((now, status)) }
            return HTTPResponse(status: status)
        }
    }

    /// A launcher with the production schedule and probe interval, on the test clock.
    func launcher(probeApp: Bool = true) -> RunPodLauncher {
        let client = RunPodClient(
            baseURL: testURL("https://api.example.test"), apiKey: APIKey(unitKey), transport: API(pod: self),
            retryPolicy: .exponential(jitter: false), clock: clock)
        return RunPodLauncher(
            client: client,
            configuration: LauncherConfiguration(
                proxyURLTemplate: "https://{podId}-{port}.proxy.test", probeApp: probeApp, clock: clock, probeTransport: Proxy(pod: self)),
            ledger: nil)
    }
}

@Suite("readiness timing: how late ready is noticed, and what it costs")
struct ReadinessTimingTests {
    static let probeInterval = LauncherConfiguration().probeInterval

    @Test(
        "ready is reported within one probe interval of the app answering, whatever RUNNING's timing",
        arguments: [
            (0.0, 0.0), (0.0, 0.05), (3.0, 3.0), (3.0, 3.01), (2.5, 9.3), (47.2, 47.2), (47.2, 48.1), (61.0, 91.7), (119.9, 150.05),
        ])
    func lagBelowOneProbeInterval(runningSeconds: Double, appSeconds: Double) async throws {
        let pod = TimedPod(clock: SkippingClock(), runningAt: .seconds(runningSeconds), appAt: .seconds(appSeconds))
        let ready = try await pod.launcher().waitForReady(podID: "pod1", timeout: .seconds(300))
        #expect(ready.readyAfter >= pod.appAt, "never before the app answers")
        #expect(ready.readyAfter - pod.appAt <= Self.probeInterval, "lag \(ready.readyAfter - pod.appAt)")
        #expect(ready.pod.status == .running)
    }

    @Test("the probe interval that sets the lag is at most 250 ms, and probes start with the first read")
    func probingStartsAtOnce() async throws {
        #expect(Self.probeInterval <= .milliseconds(250))
        let pod = TimedPod(clock: SkippingClock(), runningAt: .seconds(30), appAt: .seconds(40))
        _ = try await pod.launcher().waitForReady(podID: "pod1", timeout: .seconds(300))
        #expect(pod.probes.first?.at == .zero, "the app is probed from the moment the pod exists")
    }

    @Test("a probe alone never makes a pod ready: a proxy answering early waits for RUNNING with ports")
    func probeAloneIsNotReady() async throws {
        let pod = TimedPod(clock: SkippingClock(), runningAt: .seconds(20), appAt: .zero, beforeApp: 404)
        let ready = try await pod.launcher().waitForReady(podID: "pod1", timeout: .seconds(300))
        #expect(ready.readyAfter >= .seconds(20))
        // The proxy never stopped answering, so only the next scheduled read can see RUNNING: the API schedule's lag.
        #expect(ready.readyAfter - .seconds(20) <= PollSchedule.standard.maximum)
        let earlyReads = pod.reads.filter { $0 < .seconds(20) }.count
        #expect(earlyReads <= 9, "an always-answering proxy must not turn every probe into an API read (\(earlyReads) reads)")
    }

    @Test("when the app answers before a read has shown RUNNING, one read confirms at once")
    func answerIsConfirmedByOneRead() async throws {
        let pod = TimedPod(clock: SkippingClock(), runningAt: .seconds(12.1), appAt: .seconds(12.1))
        let ready = try await pod.launcher().waitForReady(podID: "pod1", timeout: .seconds(300))
        let answered = try #require(pod.probes.first { $0.status == 200 }?.at)
        #expect(pod.reads.last == answered, "the read that confirmed came right after the answering probe")
        #expect(ready.readyAfter == answered)
    }

    @Test("API reads follow the poll schedule, not the probe interval: at most 20 a minute after the first few")
    func readsStayInBudget() async throws {
        let pod = TimedPod(clock: SkippingClock(), runningAt: .seconds(90), appAt: .seconds(180))
        _ = try await pod.launcher().waitForReady(podID: "pod1", timeout: .seconds(300))
        let reads = pod.reads
        #expect(reads.count <= 45, "\(reads.count) reads in 180 s")
        let lastMinute = reads.filter { $0 > .seconds(120) }.count
        #expect(lastMinute <= 13, "\(lastMinute) reads in the last minute")
        #expect(pod.probes.count >= 180 * 3, "probes are the cheap part")
    }

    @Test("zero delays: one read and one probe, nothing else")
    func zeroDelay() async throws {
        let pod = TimedPod(clock: SkippingClock(), runningAt: .zero, appAt: .zero)
        let ready = try await pod.launcher().waitForReady(podID: "pod1", timeout: .seconds(300))
        #expect(pod.reads.count == 1)
        #expect(pod.probes.count == 1)
        #expect(ready.readyAfter == .zero)
    }

    @Test("without probing, ready is RUNNING with ports as the API schedule sees it")
    func noProbeUsesTheAPI() async throws {
        let pod = TimedPod(clock: SkippingClock(), runningAt: .seconds(2), appAt: .seconds(100))
        let ready = try await pod.launcher(probeApp: false).waitForReady(podID: "pod1", timeout: .seconds(300))
        #expect(pod.probes.isEmpty)
        #expect(ready.readyAfter == .seconds(2), "reads at 0 and 2 s (the standard schedule starts at 2 s)")
    }

    @Test("the probing event comes after RUNNING, so progress still reads status → probing → answered")
    func eventOrder() async throws {
        let clock = SkippingClock()
        let pod = TimedPod(clock: clock, runningAt: .seconds(5), appAt: .seconds(7))
        let events = EventLog()
        let base = pod.launcher()
        let launcher = RunPodLauncher(client: base.client, configuration: base.configuration, ledger: nil, events: events.handler)
        _ = try await launcher.waitForReady(podID: "pod1", timeout: .seconds(300))
        let kinds = events.events.map { event -> String in
            switch event {
            case .statusChanged(_, _, let to, _): to.rawValue
            case .probing: "probing"
            case .appAnswered: "answered"
            case .ready: "ready"
            default: "other"
            }
        }
        #expect(kinds == ["PROVISIONING", "RUNNING", "probing", "answered", "ready"])
    }
}
