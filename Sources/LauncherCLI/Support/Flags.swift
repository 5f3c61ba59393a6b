import ArgumentParser
import Foundation
import PodLauncher

/// The option groups shared by several commands (apple/container style).
public enum Flags {
    /// Options every command that talks to RunPod accepts.
    public struct Global: ParsableArguments, Sendable {
        @Option(
            name: .customLong("api-url"),
            help: ArgumentHelp("RunPod API base URL (else $RUNPOD_API_BASE_URL, else https://api.runpod.io).", valueName: "URL"))
        public var apiURL: String?

        @Option(
            name: .customLong("api-key"),
            help: ArgumentHelp("RunPod API key. Prefer $RUNPOD_API_KEY: a flag shows in the process list.", valueName: "KEY"))
        public var apiKey: String?

        @Option(help: ArgumentHelp("Profile (table) of ~/.runpod/config.toml to read the API key from.", valueName: "NAME"))
        public var profile: String?

        @Flag(name: .shortAndLong, help: "Log more on stderr: -v info, -vv debug, -vvv trace (else $RUNPOD_LAUNCHER_LOG_LEVEL).")
        public var verbose: Int

        public init() {}

        public func validate() throws {
            if let apiURL {
                guard let url = URL(string: apiURL), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil
                else { throw ValidationError("--api-url must be an http(s) URL such as https://api.runpod.io, not '\(apiURL)'.") }
            }
            if let apiKey, apiKey.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("--api-key is empty.")
            }
        }
    }

    /// `--json`: one JSON document on stdout instead of text.
    public struct Output: ParsableArguments, Sendable {
        @Flag(
            help: """
                Print one JSON document on stdout; on failure {"error": {kind, message}, "podId"?, "podIds"?}: podIds lists every \
                pod that may still bill (all a fleet left behind), podId the last of them.
                """)
        public var json = false

        public init() {}
    }

    /// How long and how to decide that a pod is ready.
    public struct Readiness: ParsableArguments, Sendable {
        @Option(help: ArgumentHelp("Seconds to wait for the pod to be ready (default 300; fractions allowed).", valueName: "SECONDS"))
        public var timeout: Double?

        @Flag(name: .customLong("no-probe"), help: "Ready once RUNNING with ports published; do not probe the app port over HTTP.")
        public var noProbe = false

        @Option(name: .customLong("ready-path"), help: ArgumentHelp("HTTP path probed on the app port (default /).", valueName: "PATH"))
        public var readyPath: String?

        public init() {}

        public func validate() throws {
            if let timeout {
                guard timeout.isFinite, timeout > 0 else {
                    throw ValidationError("--timeout must be a positive number of seconds, not \(Self.format(timeout)).")
                }
                guard timeout <= 86_400 else { throw ValidationError("--timeout must be at most 86400 seconds (one day).") }
            }
            if let readyPath, !readyPath.hasPrefix("/") {
                throw ValidationError("--ready-path must start with '/', as in /system_stats (got '\(readyPath)').")
            }
            if noProbe, readyPath != nil {
                throw ValidationError("--ready-path has no effect with --no-probe; use one or the other.")
            }
        }

        /// The wait timeout as a `Duration`.
        public var timeoutDuration: Duration {
            guard let timeout else { return Defaults.readyTimeout }
            return .milliseconds(Int64((timeout * 1000).rounded(.up)))
        }

        /// Whether any readiness flag was given (they conflict with `--no-wait`).
        var anyGiven: Bool { timeout != nil || noProbe || readyPath != nil }

        static func format(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }
    }

    /// What pod to launch: the fields of a `LaunchSpec`.
    public struct Pod: ParsableArguments, Sendable {
        @Option(
            name: .customLong("use"),
            help: ArgumentHelp(
                "Start from launch profile NAME of the profiles file (see `runpod-launcher profiles`). Flags given here win: "
                    + "--gpu and --port replace the profile's lists, --env adds to (and overrides) its env.",
                valueName: "NAME"))
        public var use: String?

        @Option(
            name: .customLong("profiles"),
            help: ArgumentHelp(
                "Profiles file (default $XDG_CONFIG_HOME/runpod-launcher/profiles.toml, else ~/.config/runpod-launcher/profiles.toml).",
                valueName: "FILE"))
        public var profilesFile: String?

        @Option(help: ArgumentHelp("Pod name (default: a readable unique name).", valueName: "NAME"))
        public var name: String?

        @Option(
            name: .customLong("gpu"),
            help: ArgumentHelp("GPU type ID to try, in priority order; repeat for fallbacks (default: a built-in list).", valueName: "ID"))
        public var gpus: [String] = []

        @Option(name: .customLong("gpu-count"), help: ArgumentHelp("GPUs per pod (default 1).", valueName: "N"))
        public var gpuCount: Int?

        @Option(name: .customLong("cloud-type"), help: ArgumentHelp("ALL, SECURE or COMMUNITY (default ALL).", valueName: "TYPE"))
        public var cloudType: CloudOption?

        @Option(
            name: .customLong("network-volume"),
            help: ArgumentHelp(
                "Network volume to attach (else $RUNPOD_NETWORK_VOLUME_ID, else \(Defaults.networkVolumeID)).", valueName: "ID"))
        public var networkVolume: String?

        @Flag(name: .customLong("no-network-volume"), help: "Launch without a network volume (needed for COMMUNITY).")
        public var noNetworkVolume = false

        @Option(help: ArgumentHelp("Container image (default \(Defaults.image)).", valueName: "IMAGE"))
        public var image: String?

        @Option(
            name: .customLong("port"),
            help: ArgumentHelp("Port to expose as PORT[/http|/tcp]; repeatable (default 8188/http).", valueName: "SPEC"))
        public var ports: [String] = []

        @Option(name: .customLong("env"), help: ArgumentHelp("Environment variable for the pod; repeatable.", valueName: "KEY=VALUE"))
        public var env: [String] = []

        @Option(
            name: .customLong("container-disk"),
            help: ArgumentHelp("Container disk in GB (default \(Defaults.containerDiskGB)).", valueName: "GB"))
        public var containerDisk: Int?

        @Option(
            name: .customLong("min-cuda"),
            help: ArgumentHelp("Only machines with at least this CUDA version (MAJOR.MINOR, as in 12.4).", valueName: "VERSION"))
        public var minCUDA: String?

        @Option(
            name: .customLong("min-ram-per-gpu"), help: ArgumentHelp("Only machines with at least GB of system RAM per GPU.", valueName: "GB"))
        public var minRAMPerGPU: Int?

        @Option(name: .customLong("min-vcpus-per-gpu"), help: ArgumentHelp("Only machines with at least N vCPUs per GPU.", valueName: "N"))
        public var minVCPUsPerGPU: Int?

        public init() {}

        public func validate() throws {
            if let use, use.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--use needs a profile name.") }
            if let profilesFile, profilesFile.isEmpty { throw ValidationError("--profiles needs a file path.") }
            if let name, name.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--name is empty.") }
            if let gpuCount, gpuCount < 1 { throw ValidationError("--gpu-count must be at least 1, not \(gpuCount).") }
            if let containerDisk, containerDisk < 1 { throw ValidationError("--container-disk must be at least 1 GB, not \(containerDisk).") }
            if let gpu = gpus.first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw ValidationError("--gpu needs a GPU type ID such as \"NVIDIA GeForce RTX 4090\" (got '\(gpu)').")
            }
            if let image, image.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--image is empty.") }
            if let minCUDA, !LaunchSpec.isCUDAVersion(minCUDA) {
                throw ValidationError("--min-cuda must be MAJOR.MINOR, as in 12.4 (got '\(minCUDA)').")
            }
            if let minRAMPerGPU, minRAMPerGPU < 1 { throw ValidationError("--min-ram-per-gpu must be at least 1 GB, not \(minRAMPerGPU).") }
            if let minVCPUsPerGPU, minVCPUsPerGPU < 1 { throw ValidationError("--min-vcpus-per-gpu must be at least 1, not \(minVCPUsPerGPU).") }
            if noNetworkVolume, networkVolume != nil {
                throw ValidationError("--network-volume and --no-network-volume conflict; use one or the other.")
            }
            if cloudType == .community, let networkVolume {
                throw ValidationError(
                    "--cloud-type COMMUNITY cannot attach network volume \(networkVolume): network volumes exist only in Secure Cloud. "
                        + "Use --cloud-type SECURE, or --no-network-volume.")
            }
            _ = try parsedPorts(fallback: [])
            _ = try parsedEnv()
        }

        /// The `--port` values, parsed; `fallback` when none was given.
        func parsedPorts(fallback: [PortSpec]) throws -> [PortSpec] {
            guard !ports.isEmpty else { return fallback }
            var seen = Set<Int>()
            return try ports.map { text in
                guard let spec = PortSpec(text) else {
                    throw ValidationError(
                        "--port '\(text)' is not a port spec: use PORT, PORT/http or PORT/tcp with PORT in 1...65535 (as in 8188/http).")
                }
                guard seen.insert(spec.port).inserted else { throw ValidationError("--port \(spec.port) is given twice.") }
                return spec
            }
        }

        /// The `--env` values as a dictionary.
        public func parsedEnv() throws -> [String: String] {
            var result: [String: String] = [:]
            for entry in env {
                guard let equals = entry.firstIndex(of: "=") else {
                    throw ValidationError("--env '\(entry)' is not KEY=VALUE (as in HF_HOME=/workspace/hf).")
                }
                let key = String(entry[..<equals])
                guard Self.isValidEnvName(key) else {
                    throw ValidationError(
                        "--env '\(entry)': '\(key)' is not a valid variable name (letters, digits and _, not starting with a digit).")
                }
                guard result[key] == nil else { throw ValidationError("--env \(key) is given twice.") }
                result[key] = String(entry[entry.index(after: equals)...])
            }
            return result
        }

        static func isValidEnvName(_ name: String) -> Bool {
            guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && CharacterSet.letters.contains(first)) else { return false }
            return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
        }
    }
}

/// `--cloud-type`, case-insensitive.
public enum CloudOption: String, CaseIterable, Sendable, ExpressibleByArgument {
    case all = "ALL"
    case secure = "SECURE"
    case community = "COMMUNITY"

    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }

    /// The library's value.
    public var cloudType: CloudType {
        switch self {
        case .all: .all
        case .secure: .secure
        case .community: .community
        }
    }
}

extension Flags.Pod {
    /// The pod flags as overrides of a profile (set flags win).
    func overrides() throws -> LaunchOverrides {
        var overrides = LaunchOverrides()
        overrides.name = name
        overrides.gpuTypeIDs = gpus
        overrides.gpuCount = gpuCount
        overrides.cloudType = cloudType?.cloudType
        overrides.networkVolumeID = networkVolume
        overrides.noNetworkVolume = noNetworkVolume
        overrides.image = image
        overrides.ports = try parsedPorts(fallback: [])
        overrides.env = try parsedEnv()
        overrides.containerDiskGB = containerDisk
        overrides.minCUDAVersion = minCUDA
        overrides.minRAMPerGPU = minRAMPerGPU
        overrides.minVCPUsPerGPU = minVCPUsPerGPU
        return overrides
    }

    /// The `--use` profile, if one is named (a `configuration` error when the file is wrong or lacks it).
    func loadProfile(environment: [String: String]) throws -> LaunchProfile? {
        guard let use else { return nil }
        return try LaunchPlan.loadProfile(named: use, path: profilesFile, environment: environment)
    }

    /// The `LaunchSpec` these flags describe, merged over the `--use` profile: flag > profile > environment > default.
    public func spec(environment: [String: String]) throws -> LaunchSpec {
        try LaunchPlan.resolve(profile: loadProfile(environment: environment), overrides: overrides(), environment: environment).spec
    }
}
