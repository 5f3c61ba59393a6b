import ArgumentParser
import Foundation
import PodLauncher

extension Flags {
    /// What `launch` or `run` will do: the flags as `LaunchOverrides` over the `--use` profile, resolved by the
    /// library (`LaunchPlan.resolve`), so the CLI and the service merge profiles the same way.
    static func plan(
        pod: Flags.Pod, readiness: Flags.Readiness, limits: Flags.Limits, fleet: Flags.Fleet, keepOnFailure: Bool = false,
        environment: [String: String]
    ) throws -> LaunchPlan {
        var overrides = try pod.overrides()
        overrides.timeout = readiness.timeout.map { _ in readiness.timeoutDuration }
        overrides.readyPath = readiness.readyPath
        overrides.noProbe = readiness.noProbe
        overrides.maxLifetime = limits.maxLifetimeDuration
        overrides.maxCost = limits.maxCost
        overrides.waitForCapacity = limits.waitForCapacityDuration
        overrides.podSideDeadline = limits.podSideDeadline
        overrides.startCommand = limits.startCommand
        overrides.keepOnFailure = keepOnFailure
        overrides.concurrency = fleet.concurrency
        overrides.minReady = fleet.minReady
        let profile = try pod.loadProfile(environment: environment)
        do {
            return try LaunchPlan.resolve(profile: profile, overrides: overrides, environment: environment)
        } catch let error as LauncherError {
            // The flags (or the profile under them) do not combine: a usage error, as argument parsing reports it.
            guard case .invalidInput(let message) = error.reason else { throw error }
            throw CLIError.usage(message)
        }
    }
}

extension Duration {
    /// Fractional seconds.
    var secondsValue: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
