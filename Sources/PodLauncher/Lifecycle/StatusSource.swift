import Foundation
import RunPodAPI

/// What one status read found: the pods RunPod returned, by ID, and whether an absent pod is known to be gone.
struct StatusRead: Sendable {
    var pods: [String: RunPod.Pod]
    /// True after a `getPod` that answered 404; false after a list, which may lag a create by a moment.
    var absentMeansGone: Bool
}

/// The status source, one for every caller (the watcher, the reaper's confirmation): one `getPod` when one pod is
/// asked about, one `listPods` for several — never one read per pod.
extension RunPodLauncher {
    /// Reads the status of `ids`. Throws the wire error for any failure but `getPod`'s 404 (a pod RunPod does not know).
    func readStatuses(_ ids: [String], client: RunPodClient, paced: Paced, priority: RatePacer.Priority) async throws -> StatusRead {
        if ids.count == 1 {
            do {
                let pod = try await paced(priority: priority) { try await client.getPod(id: ids[0]) }
                return StatusRead(pods: [pod.id: pod], absentMeansGone: true)
            } catch let error as RunPodAPIError where error.status == 404 {
                return StatusRead(pods: [:], absentMeansGone: true)
            }
        }
        let pods = try await paced(priority: priority) { try await client.listPods() }
        let wanted = Set(ids)
        return StatusRead(
            pods: Dictionary(pods.filter { wanted.contains($0.id) }.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }),
            absentMeansGone: false)
    }

    /// A read that may succeed if tried again: 429, 5xx, lost connections, unreadable answers.
    static func isTransientRead(_ error: RunPodAPIError) -> Bool {
        switch error.kind {
        case .http(429), .http(500...), .transport, .timeout, .malformedResponse: true
        case .http: false
        }
    }
}
