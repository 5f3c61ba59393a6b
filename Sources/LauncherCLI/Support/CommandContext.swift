import Foundation
import RunPodAPI
import Synchronization

/// What one run of the CLI sees of the world: its environment, where it writes, and what it has learned so far.
///
/// The real process uses ``CommandContext/process``; tests pass their own through
/// ``RunPodLauncherCommand/execute(_:context:)`` to run commands in-process with a chosen environment and a
/// ``CapturedConsole``.
public struct CommandContext: Sendable {
    /// The environment variables the CLI reads (`RUNPOD_API_KEY`, `HOME`, …).
    public var environment: [String: String]
    /// Where stdout and stderr go.
    public var console: any Console
    /// True only in the real process: installs signal handlers, bootstraps global logging and may `exit`.
    public var isProcess: Bool
    /// What this run learned while working (pods that may bill, where the key came from).
    public let session: Session

    public init(environment: [String: String], console: any Console, isProcess: Bool = false) {
        self.environment = environment
        self.console = console
        self.isProcess = isProcess
        self.session = Session()
    }

    /// The context of the running executable.
    public static var process: CommandContext {
        CommandContext(environment: ProcessInfo.processInfo.environment, console: StandardConsole(), isProcess: true)
    }

    /// The task-local context commands read; set by ``RunPodLauncherCommand/execute(_:context:)``.
    @TaskLocal static var current = CommandContext(environment: [:], console: StandardConsole())
}

/// The mutable facts of one CLI run, shared between the command, the event renderer and the signal handler.
public final class Session: Sendable {
    private struct State {
        var livePods: [String] = []
        var credentialSource: CredentialSource?
        var interrupted = false
    }

    private let state = Mutex(State())

    /// Pods this run created (or was asked about) that exist and may bill, oldest first.
    public var livePods: [String] { state.withLock { $0.livePods } }

    /// Records a pod that exists and may bill.
    public func podExists(_ id: String) {
        state.withLock { if !$0.livePods.contains(id) { $0.livePods.append(id) } }
    }

    /// Records that a pod is confirmed gone.
    public func podGone(_ id: String) { state.withLock { $0.livePods.removeAll { $0 == id } } }

    /// Where the API key of this run came from (for the authentication-failed message), never the key.
    public var credentialSource: CredentialSource? {
        get { state.withLock { $0.credentialSource } }
        set { state.withLock { $0.credentialSource = newValue } }
    }

    /// True once SIGINT or SIGTERM arrived.
    public var interrupted: Bool { state.withLock { $0.interrupted } }

    /// Marks the run interrupted; returns true if it already was (a second signal).
    func markInterrupted() -> Bool {
        state.withLock {
            let already = $0.interrupted
            $0.interrupted = true
            return already
        }
    }
}
