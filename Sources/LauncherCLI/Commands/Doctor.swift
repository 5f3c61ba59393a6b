import ArgumentParser
import Foundation
import PodLauncher

/// `doctor`: checks the key, the config file, the API, the network volume and GPU availability, and says how to fix
/// what fails.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check your key, the API, the default network volume and GPU availability, and say how to fix what fails.",
        discussion: """
            Checks, in order: an API key is found (--api-key, $RUNPOD_API_KEY or ~/.runpod/config.toml; shown masked as \
            rpa_…1234 at most); ~/.runpod/config.toml parses (runpod-python's [profile] api_key or runpodctl's top-level \
            apikey); RunPod answers (latency) and accepts the key; the rate-limit headroom; the network volume exists and \
            in which data center; which of the configured GPU types (--gpu, else the built-in list) are available there now.
            Each check is ok, warn, fail or skip, with a fix for warn and fail. Prints the report on stdout (--json: \
            {"ok", "exitCode", "checks": [{"id", "outcome", "detail", "fix"}]}).
            Exit status: 0 when no check fails (warnings allowed); otherwise that of the first failed check: 77 no API key \
            or RunPod rejected it, 64 ~/.runpod/config.toml unreadable (or its --profile missing), 69 RunPod unreachable or the network volume missing, \
            75 none of the configured GPU types available there now.
            """)

    @OptionGroup var global: Flags.Global

    @Option(
        name: .customLong("network-volume"),
        help: ArgumentHelp("Network volume to check (else $RUNPOD_NETWORK_VOLUME_ID, else \(Defaults.networkVolumeID)).", valueName: "ID"))
    var networkVolume: String?

    @Flag(name: .customLong("no-network-volume"), help: "Check GPU availability anywhere instead of in a volume's data center.")
    var noNetworkVolume = false

    @Option(name: .customLong("gpu"), help: ArgumentHelp("GPU type ID to check (repeatable; default: the built-in list).", valueName: "ID"))
    var gpus: [String] = []

    @Option(name: .customLong("gpu-count"), help: ArgumentHelp("GPUs per pod the availability is for (default 1).", valueName: "N"))
    var gpuCount: Int = 1

    @Flag(help: "Print the report as one JSON document on stdout.")
    var json = false

    func validate() throws {
        if noNetworkVolume, networkVolume != nil { throw ValidationError("--network-volume and --no-network-volume conflict; use one or the other.") }
        if gpuCount < 1 { throw ValidationError("--gpu-count must be at least 1, not \(gpuCount).") }
    }

    /// `doctor --json`.
    struct Report: Encodable {
        var ok: Bool
        var exitCode: Int32
        var checks: [DoctorCheck]
        var version = LauncherVersion.current
    }

    /// The volume flags, as a launch would read them.
    private var volumeOverrides: LaunchOverrides {
        var overrides = LaunchOverrides()
        overrides.networkVolumeID = networkVolume
        overrides.noNetworkVolume = noNetworkVolume
        return overrides
    }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        let environment = runtime.context.environment
        let checks = await DoctorChecks(
            settings: runtime.settings, environment: environment,
            networkVolumeID: LaunchPlan.networkVolumes(profile: nil, overrides: volumeOverrides, environment: environment).first,
            networkVolumeOrigin: networkVolume != nil
                ? "--network-volume" : environment["RUNPOD_NETWORK_VOLUME_ID"].map { _ in "$RUNPOD_NETWORK_VOLUME_ID" } ?? "the built-in default",
            gpuTypeIDs: gpus.isEmpty ? Defaults.gpuTypeIDs : gpus, gpuCount: gpuCount, session: runtime.session, logger: runtime.logger
        ).run()
        let failed = checks.filter { $0.outcome == .fail }
        let status = failed.first?.failStatus ?? (failed.isEmpty ? .success : .unavailable)
        if json {
            runtime.console.out(JSONOutput.encode(Report(ok: failed.isEmpty, exitCode: status.rawValue, checks: checks)))
        } else {
            runtime.console.err("runpod-launcher \(LauncherVersion.current)")
            runtime.console.writeOut(TerminalText.escaped(Self.render(checks)))
            let warnings = checks.filter { $0.outcome == .warn }.count
            if failed.isEmpty {
                runtime.console.err("all required checks pass" + (warnings > 0 ? " (\(warnings) warning(s))" : "") + ".")
            } else {
                runtime.console.err("\(failed.count) check(s) failed: " + failed.map(\.title).joined(separator: ", ") + " (exit \(status.rawValue)).")
            }
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }

    /// `ok    api key         found in $RUNPOD_API_KEY (rpa_…1234)` and an indented `fix:` line under warn and fail.
    static func render(_ checks: [DoctorCheck]) -> String {
        let width = checks.map(\.title.count).max() ?? 0
        return checks.map { check in
            var text =
                check.outcome.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
                + check.title.padding(toLength: width + 2, withPad: " ", startingAt: 0) + check.detail
            if let fix = check.fix, check.outcome == .warn || check.outcome == .fail { text += "\n      fix: " + fix }
            return text
        }.joined(separator: "\n") + "\n"
    }
}
