import ArgumentParser
import Foundation
import PodLauncher

/// `runpod-launcher`: launch RunPod GPU pods with a network volume, wait until they are really ready, terminate them.
public struct RunPodLauncherCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runpod-launcher",
        abstract: "Launch RunPod GPU pods with your network volume, wait until the app really answers, and terminate them.",
        discussion: """
            Data goes to stdout (a pod ID, a table, or one JSON document with --json); progress and messages go to stderr.
            Configuration: flag > environment (RUNPOD_API_KEY, RUNPOD_API_BASE_URL, RUNPOD_NETWORK_VOLUME_ID, \
            RUNPOD_LAUNCHER_PROXY_URL, RUNPOD_LAUNCHER_LOG_LEVEL) > ~/.runpod/config.toml (--profile) > built-in defaults.
            Ctrl-C (or SIGTERM) during launch, wait or run terminates the pod this run created, confirms it gone, and exits 130.
            Try it without an account: runpod-launcher demo

            \(ExitStatus.helpText)
            """,
        version: LauncherVersion.current.description,
        subcommands: [
            LaunchCommand.self, WaitCommand.self, StatusCommand.self, ListCommand.self, TerminateCommand.self, RunCommand.self,
            GPUsCommand.self, VolumesCommand.self, LogsCommand.self, SSHCommand.self, DoctorCommand.self, ProfilesCommand.self,
            EmulatorCommand.self, DemoCommand.self, ServeCommand.self,
        ]
    )

    public init() {}

    /// The executable's entry point: runs the process's command line through ``execute(_:context:)`` (our exit codes,
    /// signal handling and `--json` errors) and exits with its status.
    ///
    /// Named apart from argument parser's `main()`: in top-level code the compiler picks its synchronous `main()`
    /// over an async one of the same name, which would bypass all of the above.
    public static func runAndExit() async -> Never {
        // First of all: from here on SIGINT/SIGTERM never take their default action (see SignalHandling).
        SignalHandling.installEarly()
        let status = await execute(Array(CommandLine.arguments.dropFirst()), context: .process)
        Foundation.exit(status)
    }

    /// Parses and runs `arguments` in `context`, and returns the exit status. Never exits the process by itself
    /// (except on a second interrupt in the real process), so tests can call it in-process.
    public static func execute(_ arguments: [String], context: CommandContext) async -> Int32 {
        await CommandContext.$current.withValue(context) {
            let console = context.console
            let parsed: any ParsableCommand
            do {
                parsed = try await asyncParseAsRoot(arguments)
            } catch {
                let code = exitCode(for: error)
                let message = fullMessage(for: error)
                if code == .success {
                    if !message.isEmpty { console.out(message) }
                } else {
                    console.err(message)
                }
                return code.rawValue
            }
            let wantsJSON = (parsed as? any JSONOutputCommand)?.jsonRequested ?? false
            let ownsSignals = parsed is any HandlesOwnSignals
            let work = Task<Void, any Error> { [parsed] in
                var command = parsed
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            }
            var signals: SignalHandling?
            if context.isProcess, !ownsSignals {
                signals = SignalHandling(session: context.session, console: console) { work.cancel() }
            }
            defer { signals?.uninstall() }
            do {
                try await withTaskCancellationHandler {
                    try await work.value
                } onCancel: {
                    work.cancel()
                }
                return ExitStatus.success.rawValue
            } catch {
                return report(error, json: wantsJSON, context: context)
            }
        }
    }

    /// Prints a failure (stderr, and JSON on stdout with `--json`) and returns its exit status.
    static func report(_ error: any Error, json: Bool, context: CommandContext) -> Int32 {
        let console = context.console
        let session = context.session
        let launcherError = error as? LauncherError
        if let launcherError {
            // The library knows best which pods outlived the failure (kept, or cleanup failed).
            for id in launcherError.terminated { session.podGone(id) }
            for id in launcherError.leftRunning { session.podExists(id) }
        }
        if !session.interrupted, !Failure.isOurs(error) {
            // Argument parser errors from run() (a ValidationError, a help request, an ExitCode): its own words and codes.
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty { code == .success ? console.out(message) : console.err(message) }
            if json, code != .success, !(error is ExitCode) {
                console.out(JSONOutput.encode(ErrorJSON(kind: "usage", message: message, podIDs: session.livePods)))
            }
            return code.rawValue
        }
        var failure = Failure.from(error, credentialSource: session.credentialSource)
        if session.interrupted {
            failure = Failure(status: ExitStatus.interrupted.rawValue, kind: "interrupted", message: interruptedMessage(error, failure))
        }
        console.err("error: \(failure.message)")
        let pods = session.livePods
        if let pod = pods.last, launcherError?.leftRunning.isEmpty ?? true {
            console.err("pod \(pod) still exists and may be billing; terminate it with: runpod-launcher terminate \(pod)")
        }
        if json {
            console.out(JSONOutput.encode(ErrorJSON(kind: failure.kind, message: failure.message, podIDs: pods)))
        }
        return failure.status
    }

    private static func interruptedMessage(_ error: any Error, _ failure: Failure) -> String {
        if error is CancellationError || error is ExitCode || failure.kind == "interrupted" { return "interrupted" }
        return "interrupted (\(failure.message))"
    }
}

/// A command that can print its failure as JSON on stdout.
protocol JSONOutputCommand {
    /// True when `--json` was given.
    var jsonRequested: Bool { get }
}

/// A command that handles SIGINT/SIGTERM itself (the emulator serves until its own lifecycle stops it).
protocol HandlesOwnSignals {}
