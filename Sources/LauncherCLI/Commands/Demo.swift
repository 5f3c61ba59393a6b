import ArgumentParser
import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator

/// `demo`: the whole lifecycle against an in-process emulator, in a few seconds, with no account.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show the whole lifecycle against a built-in emulator in a few seconds (no API key needed).",
        discussion: """
            Starts a local RunPod emulator on a free port with time sped up, then launches a pod with the default network \
            volume, waits (showing each transition), shows the app answering, and terminates the pod, confirming it gone.
            """)

    @Option(name: .customLong("time-scale"), help: ArgumentHelp("Emulator speed: 0.03 makes RunPod's ~90 s start take ~3 s.", valueName: "X"))
    var timeScale = 0.03

    @Flag(name: .shortAndLong, help: "Log more on stderr: -v info, -vv debug, -vvv trace.")
    var verbose: Int

    @Flag(name: .customLong("service"), help: "Show `serve` instead: a backend gets a ready pod over HTTP and gives it back.")
    var service = false

    func validate() throws {
        guard timeScale.isFinite, timeScale > 0, timeScale <= 1 else { throw ValidationError("--time-scale must be in (0, 1], not \(timeScale).") }
    }

    func run() async throws {
        let context = CommandContext.current
        let console = context.console
        let level = try LoggingSetup.level(verbosity: verbose, environment: context.environment)
        if context.isProcess { LoggingSetup.bootstrapProcess(level: level, console: console) }
        let logger = LoggingSetup.logger(level: level, console: console)
        let reporter = ProgressReporter(console: console, session: context.session)
        defer { reporter.finish() }
        let scale = timeScale
        if service {
            try await Self.runService(timeScale: scale, console: console, logger: logger)
            return
        }

        try await withEmulator(EmulatorOptions(port: 0, timeScale: scale)) { emulator in
            reporter.message(
                "demo: a local RunPod emulator runs at \(emulator.baseURL.absoluteString), every RunPod delay ×\(scale) "
                    + "(a real start takes 1-5 minutes).")
            var configuration = LauncherConfiguration(proxyURLTemplate: emulator.proxyURLTemplate, readyPath: "/system_stats")
            configuration.pollSchedule = .fixed(.milliseconds(max(20, Int(1000 * scale * 5))))
            configuration.probeInterval = .milliseconds(max(20, Int(1000 * scale * 5)))
            let client = RunPodClient(baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey), logger: logger)
            // No ledger: the demo's pods live in this process's emulator and die with it; recording them would only leave
            // records of a throwaway API in the user's state directory.
            let launcher = RunPodLauncher(client: client, configuration: configuration, ledger: nil, logger: logger) { reporter.handle($0) }
            let spec = LaunchSpec(name: "runpod-launcher-demo")

            reporter.message(
                "demo: 1/4 launch: \(spec.gpuTypeIDs.first ?? "a GPU") (or the next one in stock) with network volume \(spec.networkVolumeID ?? "-")")
            let podID = try await launcher.withPod(spec, options: LaunchOptions(timeout: .seconds(60))) { ready in
                reporter.message("demo: 2/4 ready: RUNNING, ports published, app answering")
                if let url = ready.urls[8188] {
                    let answer = try await Self.fetch(url.appendingPathComponent("system_stats"))
                    reporter.message("demo: 3/4 the app answers: GET \(url.absoluteString)/system_stats → \(answer)")
                }
                reporter.message("demo: 4/4 terminate (withPod always terminates: on success, error and Ctrl-C)")
                return ready.pod.id
            }
            let record = await emulator.pod(id: podID)
            reporter.finish()
            guard let record, !record.alive else {
                throw CLIError.usage("demo: the emulator still shows pod \(podID) alive; this is a bug, please report it.")
            }
            console.err("demo: done. The emulator confirms pod \(podID) terminated; nothing is left running.")
            console.err("Next: `runpod-launcher emulator` in one shell, then `runpod-launcher launch` against it from another.")
        }
    }

    /// The first line of the app's answer (status and a short body), for display.
    /// Uses the launcher's own HTTP transport: URLSession would link FoundationNetworking (libcurl and ~35 more
    /// shared libraries), which every command then pays for at start-up.
    static func fetch(_ url: URL) async throws -> String {
        let response = try await AsyncHTTPClientTransport().send(HTTPRequest(method: "GET", url: url, timeout: .seconds(10)))
        let (data, status) = (response.body, response.status)
        var body = String(decoding: data.prefix(160), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        if data.count > 160 { body += "…" }
        return "HTTP \(status) \(body)"
    }
}
