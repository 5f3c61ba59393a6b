import Foundation

/// A named set of launch settings, one table of the profiles file (`[comfyui]`). Every field is optional: what a
/// profile leaves out comes from flags, the environment or `Defaults`; flags given on the command line win over it.
public struct LaunchProfile: Sendable, Hashable {
    /// The table's name (`launch --use NAME`).
    public var name: String
    /// Line of the table's header in the file (for messages and listing order).
    public var line: Int
    /// `image`.
    public var image: String?
    /// `gpus`: GPU type IDs in priority order.
    public var gpuTypeIDs: [String]?
    /// `gpu-count`.
    public var gpuCount: Int?
    /// `cloud-type`.
    public var cloudType: CloudType?
    /// `network-volume` (one) or `network-volumes` (one per data center; the launcher picks by stock).
    public var networkVolumeIDs: [String]?
    /// `no-network-volume = true`: launch without one.
    public var noNetworkVolume: Bool?
    /// `mount-path`.
    public var mountPath: String?
    /// `ports`.
    public var ports: [PortSpec]?
    /// `[NAME.env]` or `env = { … }`.
    public var env: [String: String]
    /// `container-disk`, GB.
    public var containerDiskGB: Int?
    /// `min-cuda`, `min-ram-per-gpu` (GB), `min-vcpus-per-gpu`: placement filters.
    public var minCUDAVersion: String?
    public var minRAMPerGPU: Int?
    public var minVCPUsPerGPU: Int?
    /// `timeout`: how long to wait for ready.
    public var timeout: Duration?
    /// `ready-path`.
    public var readyPath: String?
    /// `no-probe = true`.
    public var noProbe: Bool?
    /// `max-lifetime`.
    public var maxLifetime: Duration?
    /// `max-cost`, USD.
    public var maxCost: Double?
    /// `wait-for-capacity`.
    public var waitForCapacity: Duration?
    /// `start-command`: the image's real start command (needed by `pod-side-deadline`).
    public var startCommand: String?
    /// `pod-side-deadline = true`.
    public var podSideDeadline: Bool?

    /// An empty profile.
    public init(name: String, line: Int = 0) {
        self.name = name
        self.line = line
        self.env = [:]
    }

    /// Every key a profile table may hold, with the TOML type it expects (for messages and suggestions).
    public static let keys: [(key: String, expected: String)] = [
        ("image", "a string"), ("gpus", "an array of strings"), ("gpu-count", "an integer"),
        ("cloud-type", "a string (ALL, SECURE or COMMUNITY)"), ("network-volume", "a string"),
        ("network-volumes", "an array of strings"), ("no-network-volume", "a boolean"), ("mount-path", "a string"),
        ("ports", "an array of strings"), ("env", "a table of strings"), ("container-disk", "an integer"),
        ("min-cuda", "a string (\"12.4\")"), ("min-ram-per-gpu", "an integer (GB)"), ("min-vcpus-per-gpu", "an integer"),
        ("timeout", "a duration (\"10m\") or seconds"), ("ready-path", "a string"), ("no-probe", "a boolean"),
        ("max-lifetime", "a duration (\"2h\") or seconds"), ("max-cost", "a number (USD)"),
        ("wait-for-capacity", "a duration (\"15m\") or seconds"), ("start-command", "a string"), ("pod-side-deadline", "a boolean"),
    ]

    /// The settings this profile sets, as `key = value` text, in `keys` order (for `runpod-launcher profiles`).
    public var settings: [(key: String, value: String)] {
        var out: [(String, String)] = []
        func add(_ key: String, _ value: String?) { if let value { out.append((key, value)) } }
        add("image", image)
        add("gpus", gpuTypeIDs?.joined(separator: ", "))
        add("gpu-count", gpuCount.map(String.init))
        add("cloud-type", cloudType?.rawValue)
        add("network-volumes", networkVolumeIDs?.joined(separator: ", "))
        add("no-network-volume", noNetworkVolume.map(String.init))
        add("mount-path", mountPath)
        add("ports", ports?.map(\.description).joined(separator: ", "))
        add("env", env.isEmpty ? nil : env.keys.sorted().map { "\($0)=\(env[$0] ?? "")" }.joined(separator: " "))
        add("container-disk", containerDiskGB.map { "\($0) GB" })
        add("min-cuda", minCUDAVersion)
        add("min-ram-per-gpu", minRAMPerGPU.map { "\($0) GB" })
        add("min-vcpus-per-gpu", minVCPUsPerGPU.map(String.init))
        add("timeout", timeout.map(DurationText.format))
        add("ready-path", readyPath)
        add("no-probe", noProbe.map(String.init))
        add("max-lifetime", maxLifetime.map(DurationText.format))
        add("max-cost", maxCost.map(PodCost.dollars))
        add("wait-for-capacity", waitForCapacity.map(DurationText.format))
        add("start-command", startCommand)
        add("pod-side-deadline", podSideDeadline.map(String.init))
        return out
    }
}

/// A profiles file that cannot be used: where (file, line) and which key, written for a person.
public struct ProfileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The 1-based line, when known.
    public var line: Int?
    /// The offending key (`comfyui.gpu-count`), when there is one.
    public var key: String?
    /// What is wrong and how to fix it.
    public var message: String

    /// Creates the error.
    public init(path: String, line: Int? = nil, key: String? = nil, message: String) {
        self.path = path
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var text = "profiles file \(path)"
        if let line { text += ", line \(line)" }
        if let key { return text + ", key '\(key)': \(message)" }
        return text + (line == nil ? " " : ": ") + message
    }
}

/// The parsed profiles file.
public struct LaunchProfiles: Sendable, Hashable {
    /// Where it was read from.
    public var path: String
    /// The profiles, in file order.
    public var profiles: [LaunchProfile]

    /// Creates the value.
    public init(path: String, profiles: [LaunchProfile]) {
        self.path = path
        self.profiles = profiles
    }

    /// The default location: `$XDG_CONFIG_HOME/runpod-launcher/profiles.toml`, else `~/.config/runpod-launcher/profiles.toml`.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("runpod-launcher/profiles.toml").path
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return URL(fileURLWithPath: home).appendingPathComponent(".config/runpod-launcher/profiles.toml").path
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(ProfileError) -> LaunchProfiles {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ProfileError(path: path, message: "does not exist. Create it with one table per profile (see `runpod-launcher profiles --help`).")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ProfileError(path: path, message: "cannot be read: \(error.localizedDescription)")
        }
        return try ProfileParser(text: text, path: path).parse()
    }

    /// The profile called `name`; a `ProfileError` naming the closest one when there is none.
    public func profile(named name: String) throws(ProfileError) -> LaunchProfile {
        if let found = profiles.first(where: { $0.name == name }) { return found }
        let names = profiles.map(\.name)
        let suggestion = Validation.closest(to: name, in: names).map { " Did you mean '\($0)'?" } ?? ""
        let list = names.isEmpty ? "it has none" : "it has: \(names.joined(separator: ", "))"
        throw ProfileError(path: path, message: "has no profile '\(name)' (\(list)).\(suggestion)")
    }
}
