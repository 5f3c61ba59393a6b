import Foundation
import Logging
import RunPodAPI
import Synchronization

/// Readiness: RUNNING with runtime ports, then the app port answering through the proxy.
///
/// RunPod's `RUNNING` means the container is up, not that the app in it answers, so the first HTTP port is probed at
/// the proxy URL until it answers with a status below 500 (RunPod's proxy says 502 while nothing listens).
extension RunPodLauncher {
    /// Waits until the pod is RUNNING, publishes its ports, and its app port answers. Does not terminate.
    public func waitForReady(podID: String, timeout: Duration = Defaults.readyTimeout) async throws -> ReadyPod {
        try Validation.check(timeout: timeout)
        let watch = WaitState()
        let stopwatch = Stopwatch(clock: configuration.clock)
        // The deadline is checked between steps (and bounds every sleep), not raced against the steps, so an injected
        // clock that skips time gives deterministic tests. A step itself is bounded by the request/probe timeouts.
        let deadline = WaitDeadline(timeout: timeout, stopwatch: stopwatch, podID: podID, watch: watch)
        return try await pollUntilReady(podID: podID, watch: watch, stopwatch: stopwatch, deadline: deadline)
    }

    private func pollUntilReady(podID: String, watch: WaitState, stopwatch: Stopwatch, deadline: WaitDeadline) async throws -> ReadyPod {
        let log = logger(podID: podID, operation: "wait")
        var poll = 0
        var pod: RunPod.Pod
        // Phase 1: RUNNING with ports.
        while true {
            poll += 1
            try deadline.check()
            if let current = try await readForWait(podID: podID, watch: watch, stopwatch: stopwatch, log: log) {
                pod = current
                if current.status == .running, let ports = current.runtime?.ports, !ports.isEmpty { break }
            }
            try deadline.check()
            try await sleep(deadline.bounded(configuration.pollSchedule.delay(afterPoll: poll, rateLimit: client.rateLimit)))
        }

        // Phase 2: the app port answers.
        let httpPorts = Self.httpPorts(of: pod)
        if configuration.probeApp, let port = httpPorts.first {
            guard let url = configuration.proxyURL(podID: podID, port: port, path: configuration.readyPath) else {
                throw LauncherError.invalidInput("The proxy URL template \"\(configuration.proxyURLTemplate)\" does not give a valid URL.")
            }
            watch.waiting(for: "app port \(port) to answer at \(url.absoluteString)")
            emit(.probing(podID: podID, url: url, elapsed: stopwatch.elapsed))
            var sinceStatusCheck = Stopwatch(clock: configuration.clock)
            let statusCheckEvery = configuration.pollSchedule.maximum
            while true {
                try deadline.check()
                let answer = await probe(url)
                if let status = answer.status, status < 500 {
                    emit(.appAnswered(podID: podID, port: port, httpStatus: status, elapsed: stopwatch.elapsed))
                    break
                }
                watch.waiting(for: "app port \(port) to answer at \(url.absoluteString) (last probe: \(answer.summary))")
                // The pod can still die while its app starts: look at it now and then (this costs API budget).
                if sinceStatusCheck.elapsed >= statusCheckEvery {
                    if let current = try await readForWait(podID: podID, watch: watch, stopwatch: stopwatch, log: log) { pod = current }
                    sinceStatusCheck = Stopwatch(clock: configuration.clock)
                }
                try deadline.check()
                try await sleep(deadline.bounded(configuration.probeInterval))
            }
        }

        var urls: [Int: URL] = [:]
        for port in httpPorts { urls[port] = configuration.proxyURL(podID: podID, port: port) }
        let ready = ReadyPod(
            pod: Pod(pod), urls: urls, sshCommand: pod.ssh?.direct?.command ?? pod.ssh?.proxy?.command, readyAfter: stopwatch.elapsed)
        emit(.ready(ready))
        log.info("pod ready", metadata: ["elapsed": "\(formatDuration(ready.readyAfter))"])
        return ready
    }

    /// One read of the pod while waiting. Fails at once on a terminal status or a 404; a transient failure (already
    /// retried by the client) returns nil so polling goes on until the deadline.
    private func readForWait(podID: String, watch: WaitState, stopwatch: Stopwatch, log: Logger) async throws -> RunPod.Pod? {
        let pod: RunPod.Pod
        do {
            pod = try await client.getPod(id: podID)
        } catch let error as RunPodAPIError {
            switch error.kind {
            case .http(404): throw LauncherError.notFound(kind: "pod", id: podID)
            case .http(401), .http(403): throw map(error)
            case .http(429), .http(500...), .transport, .timeout, .malformedResponse:
                log.debug("read failed while waiting; polling on", metadata: ["error": "\(error.attemptLine)"])
                watch.readFailed(error.attemptLine)
                return nil
            case .http: throw map(error)
            }
        }
        if let previous = watch.update(status: pod.status) {
            emit(.statusChanged(podID: podID, from: previous.from, to: pod.status, elapsed: stopwatch.elapsed))
            log.debug("status changed", metadata: ["status": "\(pod.status.rawValue)"])
        }
        switch pod.status {
        case .error, .exited, .terminated:
            throw LauncherError.podFailed(podID: podID, status: pod.status, message: Self.failureMessage(pod.status))
        case .provisioning:
            watch.waiting(for: "RunPod to provision the pod (status PROVISIONING)")
        case .starting:
            watch.waiting(for: "the container to start (status STARTING)")
        case .running:
            if pod.runtime?.ports?.isEmpty ?? true { watch.waiting(for: "RunPod to publish the pod's ports (status RUNNING, no runtime yet)") }
        }
        return pod
    }

    static func failureMessage(_ status: RunPod.PodStatus) -> String {
        switch status {
        case .error: "the container failed; see `runpod-launcher logs` or the RunPod console"
        case .exited: "the container exited before it was ready"
        case .terminated: "the pod was terminated while the launcher waited"
        default: ""
        }
    }

    /// Container ports exposed over HTTP, in the pod's order (`8188/http` → 8188).
    static func httpPorts(of pod: RunPod.Pod) -> [Int] {
        var ports = (pod.ports ?? []).compactMap { PortSpec($0) }.filter { $0.protocol == .http }.map(\.port)
        if ports.isEmpty {
            ports = (pod.runtime?.ports ?? []).filter { $0.type?.lowercased() == "http" }.compactMap(\.private)
        }
        var seen = Set<Int>()
        return ports.filter { seen.insert($0).inserted }
    }

    struct ProbeAnswer {
        var status: Int?
        var summary: String
    }

    /// One GET of the app URL with a short timeout. No API key: the proxy is not the API.
    func probe(_ url: URL) async -> ProbeAnswer {
        do {
            let response = try await configuration.probeTransport.send(
                HTTPRequest(method: "GET", url: url, headers: [("User-Agent", "runpod-launcher")], timeout: configuration.probeTimeout))
            return ProbeAnswer(status: response.status, summary: "HTTP \(response.status)")
        } catch {
            return ProbeAnswer(status: nil, summary: (error as? TransportError)?.message ?? "\(error)")
        }
    }
}

/// The end of a wait: `check()` throws `timedOut` with what the wait was still waiting for.
struct WaitDeadline {
    var timeout: Duration
    var stopwatch: Stopwatch
    var podID: String
    var watch: WaitState

    func check() throws {
        guard stopwatch.elapsed >= timeout else { return }
        let (status, waitingFor) = watch.snapshot
        throw LauncherError.timedOut(podID: podID, after: timeout, lastStatus: status, waitingFor: waitingFor)
    }

    /// `delay`, shortened so a sleep never runs past the deadline.
    func bounded(_ delay: Duration) -> Duration {
        let remaining = timeout - stopwatch.elapsed
        return max(.zero, min(delay, remaining))
    }
}

/// What the wait has seen, shared between the poller and the deadline (for the timeout message).
final class WaitState: Sendable {
    private struct State {
        var status: RunPod.PodStatus?
        var waitingFor = "RunPod to report the pod"
        var lastReadError: String?
    }

    private let state = Mutex(State())

    /// Records a status; returns the previous one when it changed.
    func update(status: RunPod.PodStatus) -> (from: RunPod.PodStatus?, Void)? {
        state.withLock { state in
            guard state.status != status else { return nil }
            defer { state.status = status }
            return (state.status, ())
        }
    }

    func waiting(for what: String) {
        state.withLock {
            $0.waitingFor = what
            $0.lastReadError = nil
        }
    }

    func readFailed(_ what: String) { state.withLock { $0.lastReadError = what } }

    var snapshot: (RunPod.PodStatus?, String) {
        state.withLock { state in
            (state.status, state.waitingFor + (state.lastReadError.map { " (last read of the pod failed: \($0))" } ?? ""))
        }
    }
}
