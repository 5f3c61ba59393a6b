import Foundation
import RunPodAPI

/// Why a launch, wait or terminate failed, written for a person, with what became of every pod it made.
///
/// The library's one error type. `reason` says what went wrong (its cases carry the context a message needs);
/// `kind` groups reasons the way a caller reacts to them (the CLI maps each kind to one exit code); `leftRunning`
/// and `terminated` say which pods the failed call created and what became of them.
public struct LauncherError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable {
        /// The input is wrong (usage); nothing was sent, or RunPod rejected the request body (422).
        case invalidInput(String)
        /// The launch profiles file is missing, malformed, or lacks the profile asked for.
        case configuration(ProfileError)
        /// RunPod rejected the API key (401). The message names where the key came from, never the key.
        case unauthorized(detail: String)
        /// The account balance is too low (402).
        case insufficientBalance(detail: String)
        /// No candidate could be placed. `available` lists GPU types available in that data center now; `waited` is
        /// how long the launch waited for capacity (`LaunchOptions.waitForCapacity`), with its number of tries.
        case noCapacity(dataCenterID: String?, tried: [Attempt], available: [String], waited: (Duration, tries: Int)? = nil)
        /// The pod failed to start (ERROR, EXITED or TERMINATED while waiting).
        case podFailed(podID: String, status: RunPod.PodStatus, message: String)
        /// The pod was not ready in time.
        case timedOut(podID: String, after: Duration, lastStatus: RunPod.PodStatus?, waitingFor: String)
        /// A pod crossed its max lifetime or max cost and was terminated for it.
        case limitExceeded(PodLimitExceeded)
        /// No pod (or network volume) with that ID.
        case notFound(kind: String, id: String)
        /// RunPod could not be reached, or kept failing after retries.
        case unreachable(RunPodAPIError)
        /// RunPod answered something the contract does not allow.
        case malformedResponse(RunPodAPIError)
        /// Any other RunPod refusal (403, 409, …).
        case rejected(RunPodAPIError)
        /// The caller cancelled the work (SIGINT/SIGTERM in the CLI); cleanup ran first.
        case cancelled
        /// Something failed that is neither the input's nor RunPod's fault (a bug, or the system refusing a resource).
        case unexpected(String)
    }

    /// How a caller reacts to a failure: one kind per exit code of the CLI.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Bad input; fix it and try again (64).
        case usage
        /// RunPod unreachable or refusing (69).
        case unavailable
        /// The pod failed to start (70).
        case podFailed
        /// No capacity now; trying later may work (75).
        case noCapacity
        /// RunPod answered outside its contract (76).
        case malformedResponse
        /// The API key was missing or rejected (77).
        case authentication
        /// The profiles file is wrong (78).
        case configuration
        /// Not ready in time, or a limit was crossed (124).
        case timedOut
        /// Cancelled (130).
        case interrupted
    }

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

    /// What went wrong.
    public var reason: Reason
    /// Pods the failed call created that may still be running and billing: kept on request (`keepOnFailure`), or
    /// their terminate could not be confirmed (see `cleanupErrors`). In creation order.
    public var leftRunning: [String]
    /// Pods the failed call created and then terminated, confirmed gone.
    public var terminated: [String]
    /// Every pod of the launch that failed, in launch order (one entry for a single pod's failure).
    public var podFailures: [PodFailure]
    /// Why each pod in `leftRunning` could not be terminated, when that is why it is there.
    public var cleanupErrors: [String: LauncherError]

    /// Creates an error; the pod lists start empty.
    public init(
        _ reason: Reason, leftRunning: [String] = [], terminated: [String] = [], podFailures: [PodFailure] = [],
        cleanupErrors: [String: LauncherError] = [:]
    ) {
        self.reason = reason
        self.leftRunning = leftRunning
        self.terminated = terminated
        self.podFailures = podFailures
        self.cleanupErrors = cleanupErrors
    }

    /// The kind of failure (the CLI's exit code).
    public var kind: Kind {
        switch reason {
        case .invalidInput, .notFound: .usage
        case .configuration: .configuration
        case .unauthorized: .authentication
        case .insufficientBalance, .unreachable, .unexpected: .unavailable
        case .noCapacity: .noCapacity
        case .podFailed: .podFailed
        case .timedOut, .limitExceeded: .timedOut
        case .malformedResponse: .malformedResponse
        case .cancelled: .interrupted
        case .rejected(let error):
            switch error.status {
            case 401, 403: .authentication
            case 400, 404, 422: .usage
            default: .unavailable
            }
        }
    }

    /// A stable, machine-readable name of the reason (`--json`'s `error.kind`).
    public var name: String {
        switch reason {
        case .invalidInput: "invalidInput"
        case .configuration: "config"
        case .unauthorized: "unauthorized"
        case .insufficientBalance: "insufficientBalance"
        case .noCapacity: "noCapacity"
        case .podFailed: "podFailed"
        case .timedOut: "timedOut"
        case .limitExceeded: "limitExceeded"
        case .notFound: "notFound"
        case .unreachable: "unreachable"
        case .malformedResponse: "malformedResponse"
        case .cancelled: "interrupted"
        case .unexpected: "unexpected"
        case .rejected(let error):
            switch error.status {
            case 401, 403: "unauthorized"
            case 402: "insufficientBalance"
            default: "rejected"
            }
        }
    }

    /// True when trying the same call again later may succeed: RunPod unreachable or failing (5xx, 429, lost
    /// connections, timeouts) or an unreadable answer. Rejections, bad input and missing pods are not.
    public var isTransient: Bool {
        switch reason {
        case .unreachable, .malformedResponse: true
        default: false
        }
    }

    /// True when the caller cancelled the work.
    public var isCancellation: Bool {
        if case .cancelled = reason { return true }
        return false
    }

    /// The same reason with these pods' outcome.
    func with(leftRunning: [String], terminated: [String], cleanupErrors: [String: LauncherError] = [:]) -> LauncherError {
        var copy = self
        copy.leftRunning = leftRunning
        copy.terminated = terminated
        copy.cleanupErrors = cleanupErrors
        return copy
    }
}

// The reasons as constructors, so `throw LauncherError.invalidInput("…")` reads as it always has.
extension LauncherError {
    /// See `Reason.invalidInput`.
    public static func invalidInput(_ message: String) -> LauncherError { LauncherError(.invalidInput(message)) }
    /// See `Reason.unauthorized`.
    public static func unauthorized(detail: String) -> LauncherError { LauncherError(.unauthorized(detail: detail)) }
    /// See `Reason.insufficientBalance`.
    public static func insufficientBalance(detail: String) -> LauncherError { LauncherError(.insufficientBalance(detail: detail)) }
    /// See `Reason.noCapacity`.
    public static func noCapacity(dataCenterID: String?, tried: [Attempt], available: [String]) -> LauncherError {
        LauncherError(.noCapacity(dataCenterID: dataCenterID, tried: tried, available: available))
    }
    /// See `Reason.podFailed`.
    public static func podFailed(podID: String, status: RunPod.PodStatus, message: String) -> LauncherError {
        LauncherError(.podFailed(podID: podID, status: status, message: message))
    }
    /// See `Reason.timedOut`.
    public static func timedOut(podID: String, after: Duration, lastStatus: RunPod.PodStatus?, waitingFor: String) -> LauncherError {
        LauncherError(.timedOut(podID: podID, after: after, lastStatus: lastStatus, waitingFor: waitingFor))
    }
    /// See `Reason.notFound`.
    public static func notFound(kind: String, id: String) -> LauncherError { LauncherError(.notFound(kind: kind, id: id)) }
    /// See `Reason.unreachable`.
    public static func unreachable(_ error: RunPodAPIError) -> LauncherError { LauncherError(.unreachable(error)) }
    /// See `Reason.malformedResponse`.
    public static func malformedResponse(_ error: RunPodAPIError) -> LauncherError { LauncherError(.malformedResponse(error)) }
    /// See `Reason.rejected`.
    public static func rejected(_ error: RunPodAPIError) -> LauncherError { LauncherError(.rejected(error)) }
    /// See `Reason.unexpected`.
    public static func unexpected(_ message: String) -> LauncherError { LauncherError(.unexpected(message)) }
    /// See `Reason.cancelled`.
    public static var cancelled: LauncherError { LauncherError(.cancelled) }
}

/// One pod of a launch that did not become ready.
public struct PodFailure: Sendable, CustomStringConvertible {
    /// Its place in the launch (0-based).
    public var index: Int
    /// The pod, when it was created.
    public var podID: String?
    /// Why it failed.
    public var error: LauncherError

    /// Creates a failure record.
    public init(index: Int, podID: String?, error: LauncherError) {
        self.index = index
        self.podID = podID
        self.error = error
    }

    public var description: String { "pod \(index + 1)\(podID.map { " (\($0))" } ?? ""): \(error.reasonDescription)" }
}
