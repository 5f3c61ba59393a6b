import Foundation
import RunPodAPI

extension LauncherError {
    /// A message for a person: what happened, what became of the pods, and what to do. Never contains the API key.
    public var description: String {
        var text = isCancellation ? "Cancelled." : reasonDescription
        if podFailures.count > 1 { text += " (\(podFailures.count) pods failed.)" }
        if !terminated.isEmpty {
            text += terminated.count == 1 ? " Pod \(terminated[0]) was terminated." : " Terminated the \(terminated.count) pods it created."
        }
        if !leftRunning.isEmpty {
            let ids = leftRunning.joined(separator: " ")
            let subject = leftRunning.count == 1 ? "Pod \(ids) is" : "Pods \(leftRunning.joined(separator: ", ")) are"
            text += " \(subject) still running and billing"
            let errors = leftRunning.compactMap { cleanupErrors[$0] }
            text += errors.first.map { " (terminating failed: \($0.reasonDescription))" } ?? " (kept on request)"
            text += "; terminate with `runpod-launcher terminate \(ids)`."
        }
        return text
    }

    /// The reason alone, without what became of the pods.
    public var reasonDescription: String {
        switch reason {
        case .invalidInput(let message):
            return message
        case .configuration(let error):
            return error.description
        case .unauthorized(let detail):
            return "Authentication failed: \(detail)"
        case .insufficientBalance(let detail):
            return "Insufficient balance: RunPod refused to create the pod (402: \(detail)). "
                + "Add funds at https://www.runpod.io/console/user/billing and retry."
        case .noCapacity(let dataCenterID, let tried, let available, let waited):
            let place = dataCenterID.map { "in \($0)" } ?? "anywhere"
            var text = "No capacity \(place) for: "
            text += tried.isEmpty ? "(no GPU type was tried)" : tried.map(Self.describe).joined(separator: ", ")
            text += "."
            if let first = available.first {
                text += " Available there now: \(available.joined(separator: ", ")). Try --gpu \"\(first)\" or wait and retry."
            } else if let dataCenterID {
                text += " Nothing is available in \(dataCenterID) now (the network volume pins the pod there); wait and retry."
            } else {
                text += " Nothing is available now; wait and retry."
            }
            if let (duration, tries) = waited {
                text += " Waited \(DurationText.format(duration)) for capacity (\(tries) \(tries == 1 ? "try" : "tries"))."
            }
            return text
        case .podFailed(let podID, let status, let message):
            return "Pod \(podID) failed to start: RunPod reports \(status.rawValue)\(message.isEmpty ? "" : " (\(message))")."
        case .timedOut(let podID, let after, let lastStatus, let waitingFor):
            let status = lastStatus.map { "last status \($0.rawValue)" } ?? "no status seen yet"
            return "Pod \(podID) was not ready after \(formatDuration(after)) (\(status)); still waiting for \(waitingFor)."
        case .limitExceeded(let exceeded):
            return exceeded.description
        case .notFound(let kind, let id):
            return "No \(kind) with ID \(id) in this RunPod account."
        case .unreachable(let error):
            return "Could not reach RunPod: \(error.description)"
        case .malformedResponse(let error):
            return "RunPod sent an answer this launcher cannot read: \(error.description)"
        case .rejected(let error):
            return "RunPod refused: \(error.description)"
        case .cancelled:
            return "Cancelled."
        case .unexpected(let message):
            return "Unexpected failure: \(message)"
        }
    }

    /// The pod this error is about, when it names one.
    public var podID: String? {
        switch reason {
        case .podFailed(let podID, _, _), .timedOut(let podID, _, _, _): podID
        case .limitExceeded(let exceeded): exceeded.podID
        case .notFound(let kind, let id) where kind == "pod": id
        default: leftRunning.last
        }
    }

    private static func describe(_ attempt: Attempt) -> String {
        let name = attempt.candidate.gpuTypeID + (attempt.candidate.cloud == .community ? " (COMMUNITY)" : "")
        if attempt.status == 0 { return "\(name) (not tried: \(attempt.detail))" }
        return "\(name) (\(attempt.status): \(attempt.detail))"
    }

    /// Maps a wire error to what it means for the launcher. `notFound` names what a 404 is about.
    static func from(
        _ error: RunPodAPIError, credentialSource: CredentialSource?, notFound: (kind: String, id: String)? = nil
    ) -> LauncherError {
        switch error.kind {
        case .malformedResponse:
            return .malformedResponse(error)
        case .transport, .timeout:
            return .unreachable(error)
        case .http(let status):
            switch status {
            case 401:
                let source = credentialSource.map { "from \($0)" } ?? ""
                let detail = error.problem?.detail ?? "unauthorized"
                let advice: String =
                    switch credentialSource {
                    case .flag?: "Check the --api-key value"
                    case .environment(let variable)?: "Check \(variable)"
                    case .configFile(let path, let profile)?: "Check the key in \(path)\(profile.map { " [\($0)]" } ?? "")"
                    case nil: "Check your API key"
                    }
                return .unauthorized(
                    detail: "RunPod rejected the API key \(source) (401: \(detail)). \(advice), or create a new key at "
                        + "https://www.runpod.io/console/user/settings.")
            case 402:
                return .insufficientBalance(detail: error.problem?.detail ?? "insufficient balance")
            case 404:
                if let notFound { return .notFound(kind: notFound.kind, id: notFound.id) }
                return .rejected(error)
            case 429, 500...:
                return .unreachable(error)
            default:
                return .rejected(error)
            }
        }
    }
}

/// `300 s`, `1.5 s`, `250 ms`: durations as people read them.
func formatDuration(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let total = Double(seconds) + Double(attoseconds) / 1e18
    if total < 1 { return "\(Int((total * 1000).rounded())) ms" }
    if total == total.rounded() { return "\(Int(total)) s" }
    return String(format: "%.1f s", total)
}
