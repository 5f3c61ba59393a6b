import Foundation
import RunPodAPI

/// The name a pod is created with, and the marks that say this tool created it.
///
/// The marks are two environment variables on the pod: `RUNPOD_LAUNCHER=1` (so `list --mine` can find every pod
/// this tool created) and `RUNPOD_LAUNCHER_LAUNCH_ID=<random>` (so a create whose answer was lost is recognised
/// as *this* launch's pod, and adopted instead of a second one being created). Names the user gives are kept
/// as they are; generated names read like `comfyui-brisk-otter-7f3a`.
public struct PodIdentity: Sendable, Hashable {
    /// Environment variable marking pods created by runpod-launcher.
    public static let markerKey = "RUNPOD_LAUNCHER"
    /// Its value.
    public static let markerValue = "1"
    /// Environment variable carrying the launch's own random ID.
    public static let launchIDKey = "RUNPOD_LAUNCHER_LAUNCH_ID"

    /// The pod's name.
    public var name: String
    /// Unique per launch.
    public var launchID: String

    /// A fresh identity for `spec`: its name, or a generated one.
    public init(spec: LaunchSpec) {
        let launchID = Self.randomHex(8)
        self.launchID = launchID
        self.name = spec.name ?? Self.generateName(image: spec.image, suffix: String(launchID.prefix(4)))
    }

    /// An identity with a known name and launch ID.
    public init(name: String, launchID: String) {
        self.name = name
        self.launchID = launchID
    }

    /// The environment variables that mark a pod as this launch's.
    public var marks: [String: String] { [Self.markerKey: Self.markerValue, Self.launchIDKey: launchID] }

    /// True for a launch ID a caller may choose: 8 to 64 ASCII letters, digits, `-` or `_` (it travels in an env value
    /// and is matched exactly).
    public static func isValidLaunchID(_ id: String) -> Bool {
        (8...64).contains(id.count)
            && id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
    }

    /// The launch ID a pod carries, when its listing shows its environment.
    public static func launchID(of pod: RunPod.Pod) -> String? { pod.env?[launchIDKey] }

    /// True when `pod` carries the runpod-launcher mark.
    public static func isLaunchedByThisTool(_ pod: RunPod.Pod) -> Bool {
        pod.env?[markerKey] == markerValue
    }

    /// True when `pod` is the one this identity created (name and launch ID match; a listing without env counts
    /// on the name alone, which is unique for generated names).
    func matches(_ pod: RunPod.Pod) -> Bool {
        guard pod.name == name, pod.status != .terminated else { return false }
        guard let env = pod.env, !env.isEmpty else { return true }
        return env[Self.launchIDKey] == launchID
    }

    /// `comfyui-brisk-otter-7f3a`: a prefix from the image, two words, and a random suffix.
    public static func generateName(image: String, suffix: String = randomHex(4)) -> String {
        "\(prefix(image: image))-\(adjectives.randomElement() ?? "brisk")-\(animals.randomElement() ?? "otter")-\(suffix)"
    }

    static func prefix(image: String) -> String {
        let repository = image.split(separator: "/").last.map(String.init) ?? image
        let base = repository.split(separator: ":").first.map(String.init) ?? repository
        let cleaned = String(base.lowercased().filter { $0.isLetter && $0.isASCII || $0.isNumber })
        if cleaned.contains("comfyui") { return "comfyui" }
        let short = String(cleaned.prefix(12))
        return short.isEmpty ? "pod" : short
    }

    /// Lowercase hex from the system random generator.
    public static func randomHex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement() ?? "0" })
    }

    private static let adjectives = [
        "brisk", "calm", "clever", "eager", "gentle", "happy", "keen", "lucid", "merry", "nimble", "quiet", "rapid", "steady", "swift",
        "tidy", "vivid", "witty", "bold", "bright", "crisp",
    ]
    private static let animals = [
        "otter", "falcon", "lynx", "heron", "badger", "marten", "ibex", "puffin", "gecko", "koala", "orca", "panda", "raven", "seal",
        "tapir", "wren", "yak", "zebu", "fox", "owl",
    ]
}
