import Foundation
import RunPodAPI

/// Why a launch, wait or terminate failed, written for a person. The CLI maps each case to an exit code.
public enum LauncherError: Error, Sendable, CustomStringConvertible {
    /// One rejected placement attempt, for the no-capacity message.
    ///
    /// `status` is RunPod's HTTP status; 0 means the candidate was not sent because the catalog showed no stock
    /// for it (the `detail` says so).
    public struct Attempt: Sendable, Hashable, Codable {
        public var candidate: PlacementCandidate
        public var status: Int
        public var detail: String
        public init(candidate: PlacementCandidate, status: Int, detail: String) {
            self.candidate = candidate
            self.status = status
            self.detail = detail
        }
    }

    /// The input is wrong (usage); nothing was sent, or RunPod rejected the request body (422).
    case invalidInput(String)
    /// RunPod rejected the API key (401). The message names where the key came from, never the key.
    case unauthorized(detail: String)
    /// The account balance is too low (402).
    case insufficientBalance(detail: String)
    /// No candidate could be placed. `available` lists GPU types available in that data center now.
    case noCapacity(dataCenterID: String?, tried: [Attempt], available: [String])
    /// The pod failed to start (ERROR, EXITED or TERMINATED while waiting).
    case podFailed(podID: String, status: RunPod.PodStatus, message: String)
    /// The pod was not ready in time.
    case timedOut(podID: String, after: Duration, lastStatus: RunPod.PodStatus?, waitingFor: String)
    /// No pod (or network volume) with that ID.
    case notFound(kind: String, id: String)
    /// RunPod could not be reached, or kept failing after retries.
    case unreachable(RunPodAPIError)
    /// RunPod answered something the contract does not allow.
    case malformedResponse(RunPodAPIError)
    /// Any other RunPod refusal (403, 409, …).
    case rejected(RunPodAPIError)
}

extension LauncherError {
    /// True when trying the same call again later may succeed: RunPod unreachable or failing (5xx, 429, lost
    /// connections, timeouts) or an unreadable answer. Rejections, bad input and missing pods are not.
    public var isTransient: Bool {
        switch self {
        case .unreachable, .malformedResponse: true
        default: false
        }
    }
}
