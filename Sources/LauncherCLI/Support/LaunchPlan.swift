import ArgumentParser
import Foundation
import PodLauncher

/// What `launch` or `run` will do, resolved once from the flags and the `--use` profile (flags win).
struct LaunchPlan: Sendable {
    /// The pod.
    var spec: LaunchSpec
    /// Volume choice, capacity wait, limits, pod-side deadline.
    var options: LaunchOptions
    /// Readiness flags merged over the profile's timeout, ready path and probe setting.
    var readiness: Flags.Readiness
    /// The profile used, if any.
    var profile: LaunchProfile?

    /// Resolves the plan; a `ProfileError` (exit 78) or `CLIError.usage` (exit 64) when it cannot be made.
    static func resolve(pod: Flags.Pod, readiness: Flags.Readiness, limits: Flags.Limits, environment: [String: String]) throws -> LaunchPlan {
        let profile = try pod.loadProfile(environment: environment)
        let spec = try pod.spec(environment: environment, profile: profile)
        let volumes = pod.networkVolumes(environment: environment, profile: profile)

        var merged = readiness
        if merged.timeout == nil, let timeout = profile?.timeout { merged.timeout = timeout.secondsValue }
        if !merged.noProbe, merged.readyPath == nil {
            if profile?.noProbe == true {
                merged.noProbe = true
            } else if let path = profile?.readyPath {
                merged.readyPath = path
            }
        }

        let maxLifetime = limits.maxLifetimeDuration ?? profile?.maxLifetime
        let maxCost = limits.maxCost ?? profile?.maxCost
        let wantsDeadline = limits.podSideDeadline || profile?.podSideDeadline == true
        let startCommand = limits.startCommand ?? profile?.startCommand
        var deadline: PodSideDeadline?
        if wantsDeadline {
            guard maxLifetime != nil else {
                throw CLIError.usage("--pod-side-deadline needs --max-lifetime (or max-lifetime in the profile): it is when the pod stops itself.")
            }
            guard let startCommand else {
                throw CLIError.usage(
                    "--pod-side-deadline needs --start-command CMD: the image's own start command, which the wrapper runs "
                        + "(the launcher cannot read an image's CMD).")
            }
            deadline = PodSideDeadline(startCommand: startCommand)
        } else if limits.startCommand != nil {
            throw CLIError.usage("--start-command is used only with --pod-side-deadline.")
        }
        let options = LaunchOptions(
            networkVolumeIDs: volumes.count > 1 ? volumes : [], waitForCapacity: limits.waitForCapacityDuration ?? profile?.waitForCapacity,
            limits: PodLimits(maxLifetime: maxLifetime, maxCost: maxCost), podSideDeadline: deadline)
        return LaunchPlan(spec: spec, options: options, readiness: merged, profile: profile)
    }
}

extension Duration {
    /// Fractional seconds (for the `--timeout` flag's `Double`).
    var secondsValue: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
