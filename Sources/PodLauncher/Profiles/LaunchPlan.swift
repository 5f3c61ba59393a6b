import Foundation

/// What a caller asks for on top of a profile: every field optional, set fields win. The CLI fills it from flags, the
/// service from a request body; `LaunchPlan.resolve` merges it over a `LaunchProfile` and the `Defaults`.
public struct LaunchOverrides: Sendable, Hashable {
    public var name: String?
    /// GPU types in priority order; replaces the profile's list when not empty.
    public var gpuTypeIDs: [String] = []
    public var gpuCount: Int?
    public var cloudType: CloudType?
    /// The network volume to attach; replaces the profile's (and the environment's).
    public var networkVolumeID: String?
    /// Launch without a network volume.
    public var noNetworkVolume = false
    public var image: String?
    /// Ports; replace the profile's when not empty.
    public var ports: [PortSpec] = []
    /// Environment variables, added to (and overriding) the profile's.
    public var env: [String: String] = [:]
    public var containerDiskGB: Int?
    /// Placement filters: CUDA version (`12.4`), RAM (GB) and vCPUs per GPU.
    public var minCUDAVersion: String?
    public var minRAMPerGPU: Int?
    public var minVCPUsPerGPU: Int?
    public var timeout: Duration?
    public var readyPath: String?
    public var noProbe = false
    public var maxLifetime: Duration?
    public var maxCost: Double?
    public var waitForCapacity: Duration?
    /// Make each pod stop itself at its max lifetime (needs `startCommand`, here or in the profile).
    public var podSideDeadline = false
    public var startCommand: String?
    public var keepOnFailure = false
    public var concurrency: Int?
    public var minReady: Int?

    /// No overrides: the profile (or the defaults) as it is.
    public init() {}
}

/// What a launch will do, resolved once from a profile and overrides (overrides win): the pod, the launch options,
/// and how readiness is judged. The CLI's `launch`/`run` and the service's `POST /v1/pods` both resolve one.
public struct LaunchPlan: Sendable {
    /// The pod.
    public var spec: LaunchSpec
    /// Timeout, volume choice, capacity wait, limits, pod-side deadline.
    public var options: LaunchOptions
    /// The HTTP path probed on the app port.
    public var readyPath: String
    /// False: ready means RUNNING with ports, without probing the app.
    public var probeApp: Bool
    /// The profile used, if any.
    public var profile: LaunchProfile?

    /// Merges `overrides` over `profile` over the defaults. `environment` supplies `RUNPOD_NETWORK_VOLUME_ID` when
    /// neither names a volume. Throws `invalidInput` for combinations that cannot work (a network volume in Community
    /// Cloud, a pod-side deadline without a lifetime or a start command).
    public static func resolve(profile: LaunchProfile?, overrides: LaunchOverrides, environment: [String: String]) throws -> LaunchPlan {
        let volumes = networkVolumes(profile: profile, overrides: overrides, environment: environment)
        let cloud = overrides.cloudType ?? profile?.cloudType ?? .all
        if cloud == .community, let volume = volumes.first {
            let origin =
                overrides.networkVolumeID != nil
                ? "--network-volume"
                : profile?.networkVolumeIDs != nil
                    ? "profile '\(profile?.name ?? "")'"
                    : environment["RUNPOD_NETWORK_VOLUME_ID"] != nil ? "$RUNPOD_NETWORK_VOLUME_ID" : "the default"
            throw LauncherError.invalidInput(
                "--cloud-type COMMUNITY cannot attach network volume \(volume) (from \(origin)): network volumes exist only in Secure Cloud. "
                    + "Use --cloud-type SECURE or ALL, or add --no-network-volume.")
        }
        let spec = LaunchSpec(
            name: overrides.name, gpuTypeIDs: overrides.gpuTypeIDs.isEmpty ? profile?.gpuTypeIDs ?? Defaults.gpuTypeIDs : overrides.gpuTypeIDs,
            gpuCount: overrides.gpuCount ?? profile?.gpuCount ?? 1, cloudType: cloud, networkVolumeID: volumes.first,
            mountPath: profile?.mountPath ?? Defaults.mountPath, image: overrides.image ?? profile?.image ?? Defaults.image,
            ports: overrides.ports.isEmpty ? profile?.ports ?? Defaults.ports : overrides.ports,
            env: (profile?.env ?? [:]).merging(overrides.env) { _, override in override },
            containerDiskGB: overrides.containerDiskGB ?? profile?.containerDiskGB ?? Defaults.containerDiskGB,
            minCUDAVersion: overrides.minCUDAVersion ?? profile?.minCUDAVersion, minRAMPerGPU: overrides.minRAMPerGPU ?? profile?.minRAMPerGPU,
            minVCPUsPerGPU: overrides.minVCPUsPerGPU ?? profile?.minVCPUsPerGPU)

        let maxLifetime = overrides.maxLifetime ?? profile?.maxLifetime
        let wantsDeadline = overrides.podSideDeadline || profile?.podSideDeadline == true
        let startCommand = overrides.startCommand ?? profile?.startCommand
        var deadline: PodSideDeadline?
        if wantsDeadline {
            guard maxLifetime != nil else {
                throw LauncherError.invalidInput(
                    "--pod-side-deadline needs --max-lifetime (or max-lifetime in the profile): it is when the pod stops itself.")
            }
            guard let startCommand else {
                throw LauncherError.invalidInput(
                    "--pod-side-deadline needs --start-command CMD: the image's own start command, which the wrapper runs "
                        + "(the launcher cannot read an image's CMD).")
            }
            deadline = PodSideDeadline(startCommand: startCommand)
        } else if overrides.startCommand != nil {
            throw LauncherError.invalidInput("--start-command is used only with --pod-side-deadline.")
        }
        let options = LaunchOptions(
            timeout: overrides.timeout ?? profile?.timeout ?? Defaults.readyTimeout, keepOnFailure: overrides.keepOnFailure,
            concurrency: overrides.concurrency ?? LaunchOptions.defaultConcurrency, minReady: overrides.minReady,
            networkVolumeIDs: volumes.count > 1 ? volumes : [], waitForCapacity: overrides.waitForCapacity ?? profile?.waitForCapacity,
            limits: PodLimits(maxLifetime: maxLifetime, maxCost: overrides.maxCost ?? profile?.maxCost), podSideDeadline: deadline)

        // Readiness: an explicit --no-probe or --ready-path wins over the profile's, as a pair.
        let explicit = overrides.noProbe || overrides.readyPath != nil
        let probeApp = explicit ? !overrides.noProbe : profile?.noProbe != true
        let readyPath = (explicit ? overrides.readyPath : profile?.readyPath) ?? Defaults.readyPath
        return LaunchPlan(spec: spec, options: options, readyPath: readyPath, probeApp: probeApp, profile: profile)
    }

    /// The network volumes to choose from, first preferred: the override > the profile's (several: the launcher picks
    /// by stock) > `RUNPOD_NETWORK_VOLUME_ID` > `Defaults.networkVolumeID`; none with `noNetworkVolume` (here or in
    /// the profile).
    public static func networkVolumes(profile: LaunchProfile?, overrides: LaunchOverrides, environment: [String: String]) -> [String] {
        if overrides.noNetworkVolume { return [] }
        if let id = overrides.networkVolumeID { return [id] }
        if let profile {
            if profile.noNetworkVolume == true { return [] }
            if let ids = profile.networkVolumeIDs, !ids.isEmpty { return ids }
        }
        if let fromEnvironment = environment["RUNPOD_NETWORK_VOLUME_ID"]?.trimmingCharacters(in: .whitespaces), !fromEnvironment.isEmpty {
            return [fromEnvironment]
        }
        return [Defaults.networkVolumeID]
    }

    /// The profile named `name` in the profiles file at `path` (or the default path for `environment`); throws a
    /// `configuration` error naming file, line and key when the file is missing or malformed or lacks the profile.
    public static func loadProfile(named name: String, path: String?, environment: [String: String]) throws -> LaunchProfile {
        guard let path = path ?? LaunchProfiles.defaultPath(environment: environment) else {
            throw LauncherError.invalidInput("--use \(name): no profiles file: pass --profiles FILE (neither XDG_CONFIG_HOME nor HOME is set).")
        }
        do {
            return try LaunchProfiles.load(path: path).profile(named: name)
        } catch {
            throw LauncherError(.configuration(error))
        }
    }
}
