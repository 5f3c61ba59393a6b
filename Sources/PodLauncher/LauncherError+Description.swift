import Foundation
import RunPodAPI

extension LauncherError {
    /// A message for a person: what happened, and what to do about it. Never contains the API key.
    public var description: String {
        switch self {
        case .invalidInput(let message):
            return message
        case .unauthorized(let detail):
            return "Authentication failed: \(detail)"
        case .insufficientBalance(let detail):
            return "Insufficient balance: RunPod refused to create the pod (402: \(detail)). "
                + "Add funds at https://www.runpod.io/console/user/billing and retry."
        case .noCapacity(let dataCenterID, let tried, let available):
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
            return text
        case .podFailed(let podID, let status, let message):
            return "Pod \(podID) failed to start: RunPod reports \(status.rawValue)\(message.isEmpty ? "" : " (\(message))")."
        case .timedOut(let podID, let after, let lastStatus, let waitingFor):
            let status = lastStatus.map { "last status \($0.rawValue)" } ?? "no status seen yet"
            return "Pod \(podID) was not ready after \(formatDuration(after)) (\(status)); still waiting for \(waitingFor)."
        case .notFound(let kind, let id):
            return "No \(kind) with ID \(id) in this RunPod account."
        case .unreachable(let error):
            return "Could not reach RunPod: \(error.description)"
        case .malformedResponse(let error):
            return "RunPod sent an answer this launcher cannot read: \(error.description)"
        case .rejected(let error):
            return "RunPod refused: \(error.description)"
        }
    }

    /// The pod this error is about, when it names one.
    public var podID: String? {
        switch self {
        case .podFailed(let podID, _, _), .timedOut(let podID, _, _, _): podID
        case .notFound(let kind, let id) where kind == "pod": id
        default: nil
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
