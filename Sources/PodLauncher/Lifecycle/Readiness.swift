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
