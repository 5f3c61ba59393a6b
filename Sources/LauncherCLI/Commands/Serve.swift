import ArgumentParser
import Foundation
import Logging
import PodLauncher
import PodService
import RunPodAPI
import ServiceLifecycle

/// `serve`: the HTTP service a web backend calls to get ready pods and give them back (see `PodService`).
struct ServeCommand: AsyncParsableCommand, HandlesOwnSignals {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the pod API for a backend: POST /v1/pods for a ready pod, DELETE to give it back.",
        discussion: """
            State lives in a database (default: SQLite at $XDG_STATE_HOME/runpod-launcher/service.sqlite); a reconciler \
            compares it with RunPod every tick, so a restart after a crash picks every pod up. Every /v1 request needs \
            "Authorization: Bearer TOKEN": the token comes from $RUNPOD_LAUNCHER_SERVICE_TOKEN, or --token-file, or a \
            file made on the first start ($XDG_CONFIG_HOME/runpod-launcher/service-token, mode 0600). RunPod settings \
            come as for every command (RUNPOD_API_KEY, RUNPOD_API_BASE_URL, RUNPOD_LAUNCHER_PROXY_URL, \
            RUNPOD_NETWORK_VOLUME_ID, profiles.toml). The API's OpenAPI document is served at /v1/openapi.json.

            Several replicas: start each with the same --database postgres://USER@HOST:PORT/DATABASE (or             $RUNPOD_LAUNCHER_DATABASE; the password from the URL or $PGPASSWORD). Every replica answers the API; the             one holding the database's leader lock reconciles, and another takes over within seconds when it dies.
            """)

    @OptionGroup var global: Flags.Global

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "HOST"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("Port to listen on (0 picks a free one).", valueName: "PORT"))
    var port = 8780

    @Option(
        help: ArgumentHelp(
            "Where state lives: sqlite:PATH (default $XDG_STATE_HOME/runpod-launcher/service.sqlite) or postgres://USER@HOST:PORT/DATABASE "
                + "for several replicas (default $RUNPOD_LAUNCHER_DATABASE).", valueName: "URL"))
    var database: String?

    @Option(name: .customLong("token-file"), help: ArgumentHelp("Read the service token from FILE.", valueName: "FILE"))
    var tokenFile: String?

    @Option(name: .customLong("profiles"), help: ArgumentHelp("Profiles file (read once at start).", valueName: "FILE"))
    var profilesFile: String?

    @Option(help: ArgumentHelp("Seconds between reconciler ticks.", valueName: "SECONDS"))
    var tick = 2.0

    @Flag(name: .customLong("terminate-on-exit"), help: "On SIGTERM/SIGINT, terminate every live launch's pod before exiting.")
    var terminateOnExit = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535 (0 picks a free port), not \(port).") }
        guard tick.isFinite, tick >= 0.05, tick <= 300 else { throw ValidationError("--tick must be between 0.05 and 300 seconds, not \(tick).") }
    }

    func run() async throws {
        let context = CommandContext.current
        let console = context.console
        let environment = context.environment
        let settings = try Settings.resolve(global, environment: environment)
        if context.isProcess { LoggingSetup.bootstrapProcess(level: settings.logLevel, console: console) }
        let logger = LoggingSetup.logger(label: "runpod-launcher.serve", level: settings.logLevel, console: console)

        let location: DatabaseLocation
        do {
            location = try DatabaseLocation.resolve(database, environment: environment)
        } catch let error as DatabaseLocationError {
            throw CLIError.usage(error.description)
        }
        if case .postgres = location, terminateOnExit {
            throw CLIError.usage(
                "--terminate-on-exit cannot be used with a PostgreSQL database: with several replicas, one stopping must not end "
                    + "the pods the others serve. Delete the launches (DELETE /v1/pods/{id}) or the pools instead.")
        }
        let (token, created): (ServiceToken, Bool)
        do {
            (token, created) = try ServiceToken.resolve(tokenFile: tokenFile, environment: environment)
        } catch let error as TokenError {
            throw CLIError.usage(error.description)
        }
        let profiles = try loadProfiles(environment: environment)
        var pools: [PoolSettings] = []
        if let path = profiles?.path {
            do {
                pools = try PoolConfig.load(path: path)
            } catch let error as PoolConfigError {
                throw LauncherError(.configuration(ProfileError(path: error.path, message: error.message)))
            }
        }
        let credential = try settings.credential()
        let metrics = ServiceMetrics()
        let client = metrics.counting(RunPodClient(baseURL: settings.apiBaseURL, apiKey: credential.key, logger: logger))
        var configuration = LauncherConfiguration(proxyURLTemplate: settings.proxyURLTemplate)
        configuration.credentialSource = credential.source
        let launcher = RunPodLauncher(client: client, configuration: configuration, ledger: nil, logger: logger)
        let store: LaunchStore
        do {
            store = try await LaunchStore.open(location, logger: logger, render: { String(buffer: LaunchView.encode($0, now: Date())) })
        } catch let error as StoreError {
            throw CLIError.usage(error.description)
        }
        let host = self.host
        var options = PodService.Options(
            host: host, port: port, reconciler: ReconcilerSettings(tick: .milliseconds(Int64(tick * 1000))), terminateOnExit: terminateOnExit)
        options.pools = pools
        let service = PodService(
            store: store, launcher: launcher, intake: LaunchIntake(profiles: profiles, environment: environment), token: token, metrics: metrics,
            options: options, leadership: .forDatabase(location, logger: logger), logger: logger,
            onListening: { port in
                console.err("runpod-launcher serve: listening on http://\(host):\(port) (database \(location))")
                console.err(
                    created
                        ? "a new service token was written to \(token.source) (mode 0600); send it as \"Authorization: Bearer TOKEN\""
                        : "service token from \(token.source)")
            })
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        console.err("runpod-launcher serve: stopped.")
    }

    /// The profiles file, read once: the named one must exist; the default one may be absent (no profiles).
    private func loadProfiles(environment: [String: String]) throws -> LaunchProfiles? {
        let path = profilesFile ?? LaunchProfiles.defaultPath(environment: environment)
        guard let path, profilesFile != nil || FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try LaunchProfiles.load(path: path)
        } catch {
            throw LauncherError(.configuration(error))
        }
    }
}
