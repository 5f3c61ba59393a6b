import ArgumentParser
import Foundation
import RunPodEmulator

/// `emulator`: serve the local RunPod emulator until Ctrl-C.
struct EmulatorCommand: AsyncParsableCommand, HandlesOwnSignals {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Serve a local RunPod emulator (REST v2, GraphQL, app proxy) until Ctrl-C.",
        discussion: """
            Prints the base URL, the API key it accepts, and the export line that points runpod-launcher (and RunPod's \
            Python SDK, through RUNPOD_API_BASE_URL) at it. GET /_emulator/state shows every pod it has seen.
            """)

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "HOST"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("Port to listen on (0 picks a free one).", valueName: "PORT"))
    var port = 8700

    @Option(help: ArgumentHelp("A JSON scenario file (world, stock, failures, faults) instead of the demo world.", valueName: "FILE"))
    var scenario: String?

    @Option(name: .customLong("api-key"), help: ArgumentHelp("The API key the emulator accepts (default: the development key).", valueName: "KEY"))
    var apiKey: String?

    @Option(name: .customLong("time-scale"), help: ArgumentHelp("Multiplies every delay: 1 is RunPod's pace, 0.01 is 100× faster.", valueName: "X"))
    var timeScale = 1.0

    @Flag(name: .shortAndLong, help: "Log requests on stderr: -v info, -vv debug, -vvv trace.")
    var verbose: Int

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535 (0 picks a free port), not \(port).") }
        guard timeScale.isFinite, timeScale > 0 else { throw ValidationError("--time-scale must be a positive number, not \(timeScale).") }
        if let apiKey, apiKey.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--api-key is empty.") }
        if let scenario, !FileManager.default.fileExists(atPath: scenario) { throw ValidationError("--scenario \(scenario): no such file.") }
    }

    func run() async throws {
        let context = CommandContext.current
        let console = context.console
        let level = try LoggingSetup.level(verbosity: verbose, environment: context.environment)
        if context.isProcess { LoggingSetup.bootstrapProcess(level: level, console: console) }
        let logger = LoggingSetup.logger(label: "RunPodEmulator", level: level, console: console)
        var options = EmulatorOptions(host: host, port: port, timeScale: timeScale)
        if let apiKey { options.apiKeys = [apiKey] }
        if let scenario {
            do {
                options.scenario = try Scenario.load(contentsOf: URL(fileURLWithPath: scenario))
            } catch {
                throw CLIError.usage("--scenario \(scenario) is not a valid scenario: \(error)")
            }
        }
        let scale = timeScale
        try await runEmulator(options, logger: logger) { emulator in
            console.err(Self.banner(emulator, timeScale: scale))
            console.out(Self.exportLine(emulator))
        }
        console.err("emulator stopped.")
    }

    /// The human part of the start-up message.
    static func banner(_ emulator: RunningEmulator, timeScale: Double) -> String {
        """
        RunPod emulator listening on \(emulator.baseURL.absoluteString) (time scale \(timeScale)); Ctrl-C to stop.
          REST v2:  \(emulator.baseURL.absoluteString)/v2    GraphQL: \(emulator.baseURL.absoluteString)/graphql
          state:    \(emulator.baseURL.absoluteString)/_emulator/state
          API key it accepts: \(emulator.apiKey)
        To use it from another shell:
        """
    }

    /// `export RUNPOD_API_BASE_URL=… RUNPOD_API_KEY=… RUNPOD_LAUNCHER_PROXY_URL=…`, shell-quoted.
    static func exportLine(_ emulator: RunningEmulator) -> String {
        "export RUNPOD_API_BASE_URL=\(emulator.baseURL.absoluteString) RUNPOD_API_KEY=\(shellQuoted(emulator.apiKey)) "
            + "RUNPOD_LAUNCHER_PROXY_URL=\(shellQuoted(emulator.proxyURLTemplate))"
    }

    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
