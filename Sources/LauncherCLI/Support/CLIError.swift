import Foundation

/// Failures the CLI itself detects (before or around the libraries), each with its exit status.
public enum CLIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Bad input that argument parsing could not catch (a malformed config value, an unusable URL, …).
    case usage(String)
    /// `run` could not start COMMAND.
    case commandNotStarted(command: String, reason: String)

    /// The exit status this failure ends the process with.
    public var status: ExitStatus {
        switch self {
        case .usage: .usage
        case .commandNotStarted: .commandNotFound
        }
    }

    /// The `error.kind` of `--json` output.
    public var kind: String {
        switch self {
        case .usage: "usage"
        case .commandNotStarted: "commandNotStarted"
        }
    }

    /// The message for a person.
    public var message: String {
        switch self {
        case .usage(let text): text
        case .commandNotStarted(let command, let reason): "could not start \(command): \(reason)"
        }
    }

    public var description: String { message }
}
