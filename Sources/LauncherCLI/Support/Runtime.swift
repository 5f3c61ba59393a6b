import Foundation
import Logging
import PodLauncher
import RunPodAPI

/// What a command works with once its flags are parsed: settings, a logger, the console, and factories for the
/// RunPod client and the launcher.
struct Runtime: Sendable {
    let context: CommandContext
    let settings: Settings
    let logger: Logger

    var console: any Console { context.console }
    var session: Session { context.session }

    /// Resolves settings and sets up logging for the current command.
    static func prepare(_ global: Flags.Global) throws -> Runtime {
        let context = CommandContext.current
        let settings = try Settings.resolve(global, environment: context.environment)
        if context.isProcess { LoggingSetup.bootstrapProcess(level: settings.logLevel, console: context.console) }
        let logger = LoggingSetup.logger(level: settings.logLevel, console: context.console)
        return Runtime(context: context, settings: settings, logger: logger)
    }

    /// A RunPod client with the resolved key. Records where the key came from; warns when it came from a flag.
    func client() throws -> RunPodClient {
        let credential = try settings.credential()
        session.credentialSource = credential.source
        if credential.source == .flag {
            console.err("warning: --api-key is visible to other users in the process list (ps); prefer RUNPOD_API_KEY.")
        }
        logger.debug("using RunPod at \(settings.apiBaseURL.absoluteString)", metadata: ["key.source": "\(credential.source)"])
        return RunPodClient(baseURL: settings.apiBaseURL, apiKey: credential.key, logger: logger)
    }

    /// A launcher over `client()`, reporting events to `reporter`.
    func launcher(readiness: Flags.Readiness? = nil, reporter: ProgressReporter?) throws -> RunPodLauncher {
        let client = try client()
        var configuration = LauncherConfiguration(
            proxyURLTemplate: settings.proxyURLTemplate, readyPath: readiness?.readyPath ?? Defaults.readyPath,
            probeApp: !(readiness?.noProbe ?? false))
        configuration.credentialSource = session.credentialSource
        guard let reporter else { return RunPodLauncher(client: client, configuration: configuration, logger: logger) }
        return RunPodLauncher(client: client, configuration: configuration, logger: logger) { reporter.handle($0) }
    }

    /// A progress reporter on this run's stderr.
    func reporter() -> ProgressReporter { ProgressReporter(console: console, session: session) }
}
