import Foundation

/// Everything that can go wrong talking to RunPod, with enough context for a person to act on it.
///
/// The wire layer does not decide what an error *means* for a launch (the launcher does); it reports
/// what happened: the operation, the HTTP status and problem document if there was one, and each try.
public struct RunPodAPIError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this was.
    public enum Kind: Sendable, Hashable {
        /// RunPod answered with an HTTP error status (its problem document, if any, is in `problem`).
        case http(status: Int)
        /// The connection failed or dropped (refused, reset, DNS, TLS).
        case transport
        /// No answer within the request timeout.
        case timeout
        /// An answer that is not what the contract says (HTML page, truncated JSON, wrong types).
        case malformedResponse
    }

    /// The RunPod operation, as named in RunPod's OpenAPI document (`createPod`, `getPod`, …).
    public var operation: String
    public var kind: Kind
    /// The RFC 9457 problem document RunPod sent, when it sent one.
    public var problem: RunPod.Problem?
    /// `Retry-After`, when RunPod sent one (429, 503).
    public var retryAfter: Duration?
    /// One line per try, oldest first, so a final error can say what happened on each.
    public var attempts: [String]
    /// True when the request was sent and the outcome is unknown (connection dropped or timed out after
    /// sending). For a create this means a pod may exist; the caller must look before trying again.
    public var mayHaveBeenApplied: Bool
    /// A one-line explanation written for a person. Never contains the API key.
    public var message: String

    public init(
        operation: String, kind: Kind, problem: RunPod.Problem? = nil, retryAfter: Duration? = nil, attempts: [String] = [],
        mayHaveBeenApplied: Bool = false, message: String
    ) {
        self.operation = operation
        self.kind = kind
        self.problem = problem
        self.retryAfter = retryAfter
        self.attempts = attempts
        self.mayHaveBeenApplied = mayHaveBeenApplied
        self.message = message
    }

    /// The HTTP status, when RunPod answered with one.
    public var status: Int? {
        if case .http(let status) = kind { return status }
        return nil
    }

    public var description: String {
        var text = "\(operation): \(message)"
        if attempts.count > 1 {
            text += " (" + attempts.enumerated().map { "try \($0.offset + 1): \($0.element)" }.joined(separator: "; ") + ")"
        }
        return text
    }
}
