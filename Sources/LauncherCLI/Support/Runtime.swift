import Foundation
import Logging
import PodLauncher
import RunPodAPI
import Synchronization

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
        // From here a command may create a pod: a signal must cancel the work (and its cleanup), not end the process.
        if context.isProcess { try SignalHandling.beginWork() }
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

    /// A launcher over `client()` that judges readiness as `plan` says, reporting events to `reporter`.
    func launcher(plan: LaunchPlan, reporter: ProgressReporter?) throws -> RunPodLauncher {
        try launcher(readyPath: plan.readyPath, probeApp: plan.probeApp, reporter: reporter)
    }

    /// A launcher over `client()`, reporting events to `reporter`.
    func launcher(readiness: Flags.Readiness? = nil, reporter: ProgressReporter?) throws -> RunPodLauncher {
        try launcher(readyPath: readiness?.readyPath ?? Defaults.readyPath, probeApp: !(readiness?.noProbe ?? false), reporter: reporter)
    }

    private func launcher(readyPath: String, probeApp: Bool, reporter: ProgressReporter?) throws -> RunPodLauncher {
        let client = try client()
        var configuration = LauncherConfiguration(proxyURLTemplate: settings.proxyURLTemplate, readyPath: readyPath, probeApp: probeApp)
        configuration.credentialSource = session.credentialSource
        guard let reporter else { return RunPodLauncher(client: client, configuration: configuration, ledger: ledger(), logger: logger) }
        return RunPodLauncher(client: client, configuration: configuration, ledger: ledger(), logger: logger) { reporter.handle($0) }
    }

    /// The pod ledger at `$XDG_STATE_HOME/runpod-launcher` (else `$HOME/.local/state/runpod-launcher`) of this run's
    /// environment. In the real process, pods still recorded as ours when it exits normally are marked released
    /// (left running on purpose, and the user was told), so `list --mine` can tell them from a killed launcher's.
    func ledger() -> PodLedger? {
        guard let directory = PodLedger.defaultDirectory(environment: context.environment) else {
            logger.warning("neither XDG_STATE_HOME nor HOME is set: pods are not recorded locally (list --mine still finds them by their mark)")
            return nil
        }
        let ledger = PodLedger(directory: directory)
        if context.isProcess { LedgerRelease.atExit(ledger) }
        return ledger
    }

    /// A progress reporter on this run's stderr.
    func reporter() -> ProgressReporter { ProgressReporter(console: console, session: session) }
}

/// Marks this process's ledger records released when it exits normally (`exit`, not a kill or a crash).
enum LedgerRelease {
    private static let ledgers = Mutex<[PodLedger]>([])

    /// Releases `ledger`'s records of this process at exit.
    static func atExit(_ ledger: PodLedger) {
        let first = ledgers.withLock { ledgers in
            defer { if !ledgers.contains(ledger) { ledgers.append(ledger) } }
            return ledgers.isEmpty
        }
        if first { atexit { LedgerRelease.releaseAll() } }
    }

    private static func releaseAll() {
        for ledger in ledgers.withLock({ $0 }) { ledger.release(ownedBy: .current) }
    }
}
