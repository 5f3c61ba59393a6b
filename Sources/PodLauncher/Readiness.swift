import Foundation
import Logging
import RunPodAPI

/// Readiness: RUNNING with runtime ports, and the app port answering through the proxy.
///
/// RunPod's `RUNNING` means the container is up, not that the app in it answers, so the first HTTP port is probed at
/// the proxy URL until it answers with a status below 500 (RunPod's proxy says 502 while nothing listens).
///
/// Two clocks run side by side. The API is read on `pollSchedule` (1 s growing to 5 s: it costs rate-limit budget).
/// The app is probed every `probeInterval` (250 ms) from the first read on, because the proxy costs no budget and
/// the app usually answers soon after RUNNING: waiting for the next API read would report the pod up to 5 s late.
/// A probe alone never makes a pod ready: when the app answers before a read has shown RUNNING with ports, one read
/// confirms at once; ready is always RUNNING + ports (from the API) + the app answering.
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
        var wait = ReadinessWait(probeInterval: configuration.probeInterval)
        while true {
            try deadline.check()
            if stopwatch.elapsed >= wait.nextRead {
                if let pod = try await read(podID, into: &wait, watch: watch, stopwatch: stopwatch, log: log) { return pod }
            }
            if let target = wait.target, let due = wait.nextProbe, stopwatch.elapsed >= due {
                let answer = await probe(target.url)
                wait.nextProbe = stopwatch.elapsed + wait.probeInterval
                // Below 500 is the app answering (a 404 or 401 comes from the app itself), except 429: that is RunPod's
                // proxy rate-limiting the probe, which says nothing about the app.
                if let status = answer.status, status < 500, status != 429 {
                    if let pod = wait.apiReady {
                        return finish(pod, podID: podID, port: target.port, httpStatus: status, stopwatch: stopwatch, log: log)
                    }
                    // The app answers but no read has shown RUNNING with ports yet: confirm once now (not once per
                    // probe, so a proxy that answers early cannot drain the API budget), then the schedule goes on.
                    if !wait.confirmedThisAnswer {
                        wait.confirmedThisAnswer = true
                        if let pod = try await read(podID, into: &wait, watch: watch, stopwatch: stopwatch, log: log) { return pod }
                        if let pod = wait.apiReady {
                            return finish(pod, podID: podID, port: target.port, httpStatus: status, stopwatch: stopwatch, log: log)
                        }
                    }
                } else {
                    wait.confirmedThisAnswer = false
                    if wait.apiReady != nil {
                        watch.waiting(for: "app port \(target.port) to answer at \(target.url.absoluteString) (last probe: \(answer.summary))")
                    }
                }
            }
            try deadline.check()
            let next = min(wait.nextRead, wait.nextProbe ?? wait.nextRead)
            try await sleep(deadline.bounded(next - stopwatch.elapsed))
        }
    }

    /// One scheduled (or confirming) read. Returns the ready pod when nothing more is needed: RUNNING with ports and
    /// no app to probe. Otherwise records what the read showed, starts probing once the app's URL is known, and
    /// probes at once when RUNNING with ports first shows.
    private func read(_ podID: String, into wait: inout ReadinessWait, watch: WaitState, stopwatch: Stopwatch, log: Logger) async throws
        -> ReadyPod?
    {
        wait.reads += 1
        let current = try await readForWait(podID: podID, watch: watch, stopwatch: stopwatch, log: log)
        wait.nextRead = stopwatch.elapsed + configuration.pollSchedule.delay(afterPoll: wait.reads, rateLimit: client.rateLimit)
        guard let current else { return nil }  // A transient failure: what the last read showed still stands.
        let wasReady = wait.apiReady != nil
        let ready = current.status == .running && !(current.runtime?.ports?.isEmpty ?? true)
        wait.apiReady = ready ? current : nil
        let port = configuration.probeApp ? Self.httpPorts(of: current).first : nil
        guard let port else { return ready ? finish(current, podID: podID, port: nil, httpStatus: nil, stopwatch: stopwatch, log: log) : nil }
        if wait.target == nil {
            guard let url = configuration.proxyURL(podID: podID, port: port, path: configuration.readyPath) else {
                throw LauncherError.invalidInput("The proxy URL template \"\(configuration.proxyURLTemplate)\" does not give a valid URL.")
            }
            wait.target = (port, url)
            wait.nextProbe = stopwatch.elapsed
        }
        if ready && !wasReady, let target = wait.target {
            watch.waiting(for: "app port \(target.port) to answer at \(target.url.absoluteString)")
            emit(.probing(podID: podID, url: target.url, elapsed: stopwatch.elapsed))
            wait.nextProbe = stopwatch.elapsed
        }
        return nil
    }

    private func finish(_ pod: RunPod.Pod, podID: String, port: Int?, httpStatus: Int?, stopwatch: Stopwatch, log: Logger) -> ReadyPod {
        if let port, let httpStatus { emit(.appAnswered(podID: podID, port: port, httpStatus: httpStatus, elapsed: stopwatch.elapsed)) }
        var urls: [Int: URL] = [:]
        for port in Self.httpPorts(of: pod) { urls[port] = configuration.proxyURL(podID: podID, port: port) }
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
