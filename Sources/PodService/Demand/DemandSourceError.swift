import Foundation

/// Why a demand source could not be declared or read. One type for the whole `Demand` folder; its `description` is
/// written for a person and never holds a password or token from the source's URL (they are redacted before any
/// message is built, and every message is scrubbed of the source's secrets again on the way out).
public struct DemandSourceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Code: String, Sendable, Hashable {
        /// The declaration is wrong (a missing key, an unknown kind, a bad URL scheme); `key` names the key.
        case invalidSpec
        /// The server could not be reached (refused, unknown host, closed mid-answer).
        case connectionFailed
        /// The read did not finish within the source's timeout.
        case timedOut
        /// The server refused the credentials (or asked for some that were not given).
        case authenticationFailed
        /// The server answered with an error (an HTTP status, Prometheus `"status": "error"`, a Redis error reply).
        case queryFailed
        /// The server answered, but not with one number that can be a backlog.
        case badAnswer
    }

    /// What went wrong.
    public var code: Code
    /// For `invalidSpec`: the offending key inside `source` (`url`, `kind`), or nil for the table as a whole.
    public var key: String?
    /// The source, redacted (`redis://***@broker:6379/0`), when the failure is a read.
    public var source: String?
    /// What is wrong and, where it helps, what to write instead.
    public var message: String

    /// Creates the error; `source` must already be redacted.
    public init(_ code: Code, key: String? = nil, source: String? = nil, message: String) {
        self.code = code
        self.key = key
        self.source = source
        self.message = message
    }

    public var description: String {
        if let key { return "source.\(key): \(message)" }
        if let source { return "demand source \(source): \(message)" }
        return message
    }

    /// An `invalidSpec` error about `key`.
    static func spec(_ key: String?, _ message: String) -> DemandSourceError {
        DemandSourceError(.invalidSpec, key: key, message: message)
    }

    /// The same error with every secret replaced by `***` (belt and braces for messages that quote a server or a library).
    func scrubbed(of secrets: [String]) -> DemandSourceError {
        var copy = self
        for secret in secrets where !secret.isEmpty {
            copy.message = copy.message.replacingOccurrences(of: secret, with: "***")
            copy.source = copy.source?.replacingOccurrences(of: secret, with: "***")
        }
        return copy
    }
}
