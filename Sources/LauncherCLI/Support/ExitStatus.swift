import ArgumentParser
import Foundation
import PodLauncher
import RunPodAPI

/// The exit codes of `runpod-launcher`, sysexits-style. The only place codes are defined; `--help` lists them from here.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    case success = 0
    /// EX_USAGE: bad flags or input (zero or negative timeouts and counts, malformed KEY=VALUE, bad ports, …).
    case usage = 64
    /// EX_UNAVAILABLE: RunPod unreachable or failing after retries, or the balance is too low (402).
    case unavailable = 69
    /// EX_SOFTWARE: the pod failed to start (ERROR or EXITED).
    case podFailed = 70
    /// EX_TEMPFAIL: no GPU capacity right now; trying again later may work.
    case noCapacity = 75
    /// EX_PROTOCOL: RunPod answered something its API contract does not allow.
    case malformedResponse = 76
    /// EX_NOPERM: authentication failed (no key, or RunPod rejected it).
    case authentication = 77
    /// EX_CONFIG: the launch profiles file is missing, malformed, or lacks the profile named by `--use`.
    case configuration = 78
    /// Like timeout(1): the pod was not ready in time, or `--max-lifetime`/`--max-cost` was crossed (pod terminated).
    case timedOut = 124
    /// Like a shell: `run` could not start COMMAND.
    case commandNotFound = 127
    /// 128 + SIGINT: interrupted by Ctrl-C or SIGTERM, after cleaning up.
    case interrupted = 130

    /// One line for the `--help` discussion.
    public var summary: String {
        switch self {
        case .success: "success"
        case .usage: "usage error or invalid input (flags, timeouts, counts, KEY=VALUE, ports)"
        case .unavailable: "RunPod unreachable or failing after retries, or balance too low (402)"
        case .podFailed: "the pod failed to start (ERROR or EXITED)"
        case .noCapacity: "no GPU capacity for the requested placement right now; retry later"
        case .malformedResponse: "RunPod sent an answer its API contract does not allow"
        case .authentication: "authentication failed: no API key, or RunPod rejected it"
        case .configuration: "the profiles file (--profiles, --use) is missing, malformed or lacks the profile"
        case .timedOut: "timed out waiting for the pod to be ready, or --max-lifetime/--max-cost crossed (pod terminated)"
        case .commandNotFound: "run: COMMAND could not be started (else run exits with its code)"
        case .interrupted: "interrupted by SIGINT/SIGTERM (after terminating the pod it made)"
        }
    }

    /// The `EXIT CODES` section of the root command's `--help`.
    public static var helpText: String {
        "EXIT CODES\n"
            + allCases.map { "  " + String($0.rawValue).padding(toLength: 5, withPad: " ", startingAt: 0) + $0.summary }
            .joined(separator: "\n")
    }
}

extension ExitStatus {
    /// The exit code of each kind of library failure: the one place the two meet.
    public init(_ kind: LauncherError.Kind) {
        self =
            switch kind {
            case .usage: .usage
            case .unavailable: .unavailable
            case .podFailed: .podFailed
            case .noCapacity: .noCapacity
            case .malformedResponse: .malformedResponse
            case .authentication: .authentication
            case .configuration: .configuration
            case .timedOut: .timedOut
            case .interrupted: .interrupted
            }
    }
}

/// What a failed command tells the user and the shell.
public struct Failure: Sendable, Equatable {
    /// The process exit code.
    public var status: Int32
    /// A stable machine-readable name, used as `error.kind` in `--json` output.
    public var kind: String
    /// A message for a person; never contains the API key.
    public var message: String
}

extension Failure {
    /// Maps any error a command throws to its exit code, kind and message. The one place errors meet exit codes.
    public static func from(_ error: any Error, credentialSource: CredentialSource? = nil) -> Failure {
        switch error {
        case let error as LauncherError: from(error, credentialSource: credentialSource)
        case let error as RunPodAPIError: from(error, credentialSource: credentialSource)
        case let error as CLIError: Failure(status: error.status.rawValue, kind: error.kind, message: error.message)
        case let error as ConfigurationError: from(error)
        case let error as ValidationError: Failure(status: ExitStatus.usage.rawValue, kind: "usage", message: error.message)
        case is CancellationError: Failure(status: ExitStatus.interrupted.rawValue, kind: "interrupted", message: "interrupted")
        case let code as ExitCode: Failure(status: code.rawValue, kind: "exit", message: "exited with \(code.rawValue)")
        default: Failure(status: ExitStatus.unavailable.rawValue, kind: "unexpected", message: String(describing: error))
        }
    }

    /// True for the errors this mapping owns; argument parser's own errors (help, ValidationError from `run()`,
    /// `ExitCode`) keep argument parser's messages and codes.
    static func isOurs(_ error: any Error) -> Bool {
        error is LauncherError || error is RunPodAPIError || error is CLIError || error is ConfigurationError || error is CancellationError
    }

    static func from(_ error: ConfigurationError) -> Failure {
        switch error.kind {
        case .noAPIKey:
            Failure(
                status: ExitStatus.authentication.rawValue, kind: "unauthorized",
                message: "authentication failed: " + error.message + " To try the launcher without an account: runpod-launcher demo")
        case .unknownProfile, .unreadableConfigFile, .invalidBaseURL:
            Failure(status: ExitStatus.usage.rawValue, kind: "usage", message: error.message)
        }
    }

    /// The library's error: its kind decides the code (one code per kind), its name the JSON kind; the message says
    /// what became of every pod the failed command created.
    static func from(_ error: LauncherError, credentialSource: CredentialSource?) -> Failure {
        var message = error.isCancellation ? "interrupted" : error.description
        if case .rejected(let apiError) = error.reason, [401, 403].contains(apiError.status) {
            message = authenticationMessage(apiError.problem?.detail ?? apiError.message, credentialSource)
        }
        return Failure(status: ExitStatus(error.kind).rawValue, kind: error.name, message: message)
    }

    static func from(_ error: RunPodAPIError, credentialSource: CredentialSource?) -> Failure {
        let message = error.description
        switch error.kind {
        case .transport, .timeout: return Failure(status: ExitStatus.unavailable.rawValue, kind: "unreachable", message: message)
        case .malformedResponse: return Failure(status: ExitStatus.malformedResponse.rawValue, kind: "malformedResponse", message: message)
        case .http(let status):
            switch status {
            case 401, 403:
                return Failure(
                    status: ExitStatus.authentication.rawValue, kind: "unauthorized",
                    message: authenticationMessage(error.problem?.detail ?? error.message, credentialSource))
            case 402: return Failure(status: ExitStatus.unavailable.rawValue, kind: "insufficientBalance", message: message)
            case 404: return Failure(status: ExitStatus.usage.rawValue, kind: "notFound", message: message)
            case 400, 422: return Failure(status: ExitStatus.usage.rawValue, kind: "rejected", message: message)
            default: return Failure(status: ExitStatus.unavailable.rawValue, kind: "unreachable", message: message)
            }
        }
    }

    /// Says where the rejected key came from and what to check; never the key itself.
    static func authenticationMessage(_ detail: String, _ source: CredentialSource?) -> String {
        let origin = source.map { "the API key from \($0)" } ?? "the API key"
        return "authentication failed: RunPod rejected \(origin) (\(detail)). "
            + "Check RUNPOD_API_KEY (or the api_key in ~/.runpod/config.toml, or --api-key): it must be a valid RunPod API key."
    }
}
