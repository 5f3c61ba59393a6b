import Foundation
import RunPodAPI

/// App URLs of a pod through the proxy template (`{podId}`, `{port}`), for `status` and `list`.
enum ProxyURLs {
    /// The URL of each HTTP port the pod exposes.
    static func urls(for pod: RunPod.Pod, template: String) -> [Int: URL] {
        var result: [Int: URL] = [:]
        for spec in pod.ports ?? [] {
            let parts = spec.split(separator: "/")
            guard let port = parts.first.flatMap({ Int($0) }), parts.count < 2 || parts[1].lowercased() == "http" else { continue }
            if let url = url(podID: pod.id, port: port, template: template) { result[port] = url }
        }
        return result
    }

    static func url(podID: String, port: Int, template: String) -> URL? {
        URL(string: template.replacingOccurrences(of: "{podId}", with: podID).replacingOccurrences(of: "{port}", with: String(port)))
    }
}
