import Foundation
import Logging
import RunPodAPI

/// The readiness rule, in one place: a pod is ready when RunPod reports it RUNNING with its runtime ports published,
/// and its first HTTP port answers through RunPod's proxy with a status below 500 that is not 429.
///
/// RunPod's `RUNNING` means the container is up, not that the app in it answers; the proxy says 502 while nothing
/// listens, and 429 when it rate-limits the probe (which says nothing about the app). `Watch.swift` applies the rule
/// to every pod of a launch.
extension RunPodLauncher {
    /// True when a probe's HTTP status means the app answered: below 500 (a 404 or 401 comes from the app itself),
    /// except 429, which is RunPod's proxy rate-limiting the probe and says nothing about the app.
    static func appAnswered(httpStatus: Int?) -> Bool {
        guard let httpStatus else { return false }
        return httpStatus < 500 && httpStatus != 429
    }

    /// A pod RunPod reports up: RUNNING, with its runtime ports published.
    static func isRunningWithPorts(_ pod: RunPod.Pod) -> Bool {
        pod.status == .running && !(pod.runtime?.ports?.isEmpty ?? true)
    }

    /// The failure a pod's status means (ERROR, EXITED, TERMINATED: it will not become, or stay, ready), or nil.
    public static func failure(of pod: RunPod.Pod) -> LauncherError? {
        switch pod.status {
        case .error, .exited, .terminated: .podFailed(podID: pod.id, status: pod.status, message: failureMessage(pod.status))
        case .provisioning, .starting, .running: nil
        }
    }

    /// What RunPod's side of readiness still waits for; nil once the pod is RUNNING with its ports published.
    static func waitingFor(_ pod: RunPod.Pod) -> String? {
        switch pod.status {
        case .provisioning: "RunPod to provision the pod (status PROVISIONING)"
        case .starting: "the container to start (status STARTING)"
        case .running: isRunningWithPorts(pod) ? nil : "RunPod to publish the pod's ports (status RUNNING, no runtime yet)"
        case .error, .exited, .terminated: nil
        }
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

    /// A ready pod as the caller sees it: the URL of each HTTP port through the proxy, and its ssh command.
    func readyPod(_ pod: RunPod.Pod, readyAfter: Duration) -> ReadyPod {
        var urls: [Int: URL] = [:]
        for port in Self.httpPorts(of: pod) { urls[port] = configuration.proxyURL(podID: pod.id, port: port) }
        return ReadyPod(pod: Pod(pod), urls: urls, sshCommand: pod.ssh?.direct?.command ?? pod.ssh?.proxy?.command, readyAfter: readyAfter)
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

/// One evaluation of the readiness rule for a pod taken from a listing (see `RunPodLauncher.checkReadiness`).
public enum ReadinessCheck: Sendable {
    /// Not ready yet; says what it waits for.
    case starting(waitingFor: String)
    /// Ready: RUNNING with ports, and the app answered (or no app is probed).
    case ready(ReadyPod)
    /// The pod failed (ERROR, EXITED or TERMINATED): it will not become ready.
    case failed(LauncherError)
}

extension RunPodLauncher {
    /// Applies the readiness rule once to `pod` as a listing showed it, probing its first HTTP port through the proxy
    /// when RunPod reports it RUNNING with ports: the step a level-triggered caller (the service's reconciler) takes on
    /// each tick, where `launch` would watch. `readyPath` and `probeApp` default to the configuration's.
    public func checkReadiness(of pod: RunPod.Pod, readyPath: String? = nil, probeApp: Bool? = nil) async -> ReadinessCheck {
        if let failure = Self.failure(of: pod) { return .failed(failure) }
        if let waitingFor = Self.waitingFor(pod) { return .starting(waitingFor: waitingFor) }
        guard probeApp ?? configuration.probeApp, let port = Self.httpPorts(of: pod).first else { return .ready(readyPod(pod, readyAfter: .zero)) }
        guard let url = configuration.proxyURL(podID: pod.id, port: port, path: readyPath ?? configuration.readyPath) else {
            return .failed(.invalidInput("The proxy URL template \"\(configuration.proxyURLTemplate)\" does not give a valid URL."))
        }
        let answer = await probe(url)
        guard Self.appAnswered(httpStatus: answer.status) else {
            return .starting(waitingFor: "app port \(port) to answer at \(url.absoluteString) (last probe: \(answer.summary))")
        }
        return .ready(readyPod(pod, readyAfter: .zero))
    }
}
