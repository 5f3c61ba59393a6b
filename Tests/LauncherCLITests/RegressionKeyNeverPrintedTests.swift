import ArgumentParser
import Foundation
import LauncherCLI
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Testing

/// Every registered command, run at trace level with a recognisable API key against an emulator that accepts it,
/// prints the key nowhere: not on stdout, stderr, in `--json` documents or in log lines.
///
/// The commands come from `RunPodLauncherCommand`'s own list, so a new command is covered without editing this
/// file: it runs with no arguments unless `arguments` says what it needs.
@Suite("secrets: the API key never appears in any command's output, at trace level")
struct RegressionKeyNeverPrintedTests {
    static let canary = "rpa_CANARY_\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"

    /// What a command needs to do real work (`POD` is replaced by a running pod's ID).
    static let arguments: [String: [String]] = [
        "launch": ["--json", "--name", "canary-launch"],
        "wait": ["POD", "--json"],
        "status": ["POD", "--json"],
        "terminate": ["POD"],
        "run": ["--", "sh", "-c", "exit 0"],
        "logs": ["POD"],
        "ssh": ["POD", "--print"],
        "demo": ["--time-scale", "0.001", "-vvv"],
    ]

    /// Commands not run here, and why.
    static let notRun: [String: String] = [
        // Serves until SIGINT and prints an `export RUNPOD_API_KEY=…` line for the key it serves on purpose.
        "emulator": "the emulator prints its own dev key by design and serves until interrupted",
        "serve":
            "serves until interrupted; scripts/check-service.sh runs it at -vvv and checks its output, its database and every answer for the key and the token",
    ]

    static var commandNames: [String] {
        RunPodLauncherCommand.configuration.subcommands.map { $0.configuration.commandName ?? "\($0)".lowercased() }
    }

    @Test("the registered commands are all run, or skipped with a reason")
    func everyCommandCovered() {
        #expect(Self.commandNames.count >= 14, "\(Self.commandNames)")
        for name in Self.notRun.keys { #expect(Self.commandNames.contains(name), "stale skip: \(name)") }
    }

    @Test("no output of the command contains the key", arguments: commandNames.filter { notRun[$0] == nil })
    func keyNeverPrinted(_ command: String) async throws {
        let options = EmulatorOptions(port: 0, apiKeys: [Self.canary], timeScale: 0.001)
        try await withGatedEmulator(options) { emulator in
            var arguments = [command] + (Self.arguments[command] ?? [])
            if arguments.contains("POD") {
                let client = RunPodClient(baseURL: emulator.baseURL, apiKey: APIKey(Self.canary))
                let launcher = RunPodLauncher(
                    client: client,
                    configuration: LauncherConfiguration(
                        proxyURLTemplate: emulator.proxyURLTemplate, readyPath: "/system_stats", pollSchedule: .fixed(.milliseconds(10)),
                        probeInterval: .milliseconds(10)),
                    ledger: nil)
                // Ready, so ssh has its command and logs have lines.
                let ready = try await launcher.launchPod(LaunchSpec(name: "canary-pod"), options: LaunchOptions(timeout: .seconds(30)))
                arguments = arguments.map { $0 == "POD" ? ready.pod.id : $0 }
            }
            var environment = EndToEndTests.environment(emulator, key: Self.canary)
            environment["RUNPOD_LAUNCHER_LOG_LEVEL"] = "trace"
            let result = try await runInProcess(arguments, environment: environment)
            #expect(result.status == 0, "\(command) failed (\(result.status)): \(result.stderr.suffix(400))")
            #expect(!result.allOutput.contains(Self.canary), "\(command) printed the API key")
            #expect(!result.allOutput.contains(String(Self.canary.dropFirst(4).prefix(12))), "\(command) printed part of the API key")
            if command == "launch" || command == "status" || command == "list" {
                // The check can fail: trace logging is on and the client's requests are in it.
                #expect(result.stderr.contains("TRACE"), "no trace output from \(command): \(result.stderr)")
            }
            for pod in await emulator.state().pods where pod.alive {
                let client = RunPodClient(baseURL: emulator.baseURL, apiKey: APIKey(Self.canary))
                try await client.deletePod(id: pod.id)
            }
        }
    }
}
