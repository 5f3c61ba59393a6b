import ArgumentParser
import Foundation
import PodLauncher

/// `profiles [NAME]`: list the named launch profiles of the profiles file, or show one.
struct ProfilesCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List the named launch profiles (image, GPUs, volumes, ports, env) in your profiles file.",
        discussion: """
            The file is $XDG_CONFIG_HOME/runpod-launcher/profiles.toml, else ~/.config/runpod-launcher/profiles.toml, \
            or --profiles FILE. Each TOML table is a profile; `launch --use NAME` and `run --use NAME` start from it, and \
            flags given on the command line win (--gpu and --port replace the profile's lists, --env adds to its env). \
            Keys: \(LaunchProfile.keys.map(\.key).joined(separator: ", ")).
            A malformed file is reported with its line and key, and exits 78.

            Example:
              [comfyui]
              image = "bilunsun/comfyuiprod:pod-test-0"
              gpus = ["NVIDIA GeForce RTX 4090", "NVIDIA A40"]
              network-volumes = ["rp-vol-comfyui01", "rp-vol-comfyui-us"]   # one per data center: picked by stock
              ports = ["8188/http"]
              ready-path = "/system_stats"
              timeout = "10m"
              max-lifetime = "2h"
              wait-for-capacity = "15m"

              [comfyui.env]
              HF_HOME = "/workspace/hf"
            """)

    @Option(name: .customLong("profiles"), help: ArgumentHelp("Profiles file to read instead of the default.", valueName: "FILE"))
    var profilesFile: String?

    @Argument(help: ArgumentHelp("Show only this profile.", valueName: "NAME"))
    var name: String?

    @OptionGroup var output: Flags.Output

    var jsonRequested: Bool { output.json }

    func run() async throws {
        let context = CommandContext.current
        guard let path = profilesFile ?? LaunchProfiles.defaultPath(environment: context.environment) else {
            throw CLIError.usage("no profiles file: pass --profiles FILE (neither XDG_CONFIG_HOME nor HOME is set).")
        }
        if profilesFile == nil, !FileManager.default.fileExists(atPath: path) {
            context.console.err("no profiles file at \(path); see `runpod-launcher profiles --help` for its format.")
            if output.json { context.console.out(JSONOutput.encode(ProfilesJSON(path: path, profiles: []))) }
            return
        }
        let file = try LaunchProfiles.load(path: path)
        let profiles = try name.map { [try file.profile(named: $0)] } ?? file.profiles
        if output.json {
            context.console.out(JSONOutput.encode(ProfilesJSON(path: path, profiles: profiles.map(ProfilesJSON.Profile.init))))
            return
        }
        context.console.err("\(profiles.count) profile\(profiles.count == 1 ? "" : "s") in \(path)")
        for profile in profiles {
            let settings = profile.settings
            let body =
                settings.isEmpty
                ? "  (no settings: the defaults)\n"
                : Table.keyValue(settings).split(separator: "\n").map { "  \($0)" }
                    .joined(separator: "\n") + "\n"
            context.console.out(profile.name + "\n" + body)
        }
    }
}

/// `profiles --json`: the file and each profile's settings (keys a profile does not set are left out).
struct ProfilesJSON: Codable, Sendable, Equatable {
    struct Profile: Codable, Sendable, Equatable {
        var name: String
        var line: Int
        var image: String?
        var gpus: [String]?
        var gpuCount: Int?
        var cloudType: String?
        var networkVolumes: [String]?
        var noNetworkVolume: Bool?
        var mountPath: String?
        var ports: [String]?
        var env: [String: String]
        var containerDiskGB: Int?
        var timeoutSeconds: Double?
        var readyPath: String?
        var noProbe: Bool?
        var maxLifetimeSeconds: Double?
        var maxCost: Double?
        var waitForCapacitySeconds: Double?
        var startCommand: String?
        var podSideDeadline: Bool?

        init(_ profile: LaunchProfile) {
            name = profile.name
            line = profile.line
            image = profile.image
            gpus = profile.gpuTypeIDs
            gpuCount = profile.gpuCount
            cloudType = profile.cloudType?.rawValue
            networkVolumes = profile.networkVolumeIDs
            noNetworkVolume = profile.noNetworkVolume
            mountPath = profile.mountPath
            ports = profile.ports?.map(\.description)
            env = profile.env
            containerDiskGB = profile.containerDiskGB
            timeoutSeconds = profile.timeout?.secondsValue
            readyPath = profile.readyPath
            noProbe = profile.noProbe
            maxLifetimeSeconds = profile.maxLifetime?.secondsValue
            maxCost = profile.maxCost
            waitForCapacitySeconds = profile.waitForCapacity?.secondsValue
            startCommand = profile.startCommand
            podSideDeadline = profile.podSideDeadline
        }
    }

    var path: String
    var profiles: [Profile]
}
