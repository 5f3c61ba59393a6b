import Foundation

/// Ways a pod can go wrong, as RunPod's do.
public enum PodFailureMode: String, Codable, Sendable, CaseIterable {
    /// The image cannot be pulled: the pod goes to ERROR and the log says why.
    case imagePullFails
    /// The pod never leaves PROVISIONING (no machine picks it up).
    case stuckProvisioning
    /// The container runs but the app never answers on its ports (the proxy keeps answering 502): its server listens
    /// on 127.0.0.1 only, as the log shows.
    case appNeverAnswers
    /// The machine goes away under the running pod: it goes to EXITED with a system log line.
    case machineLost
    /// The app crashes during start-up: the log shows a traceback and the container's exit, and the pod is EXITED.
    case containerExits
}

/// Gives matching new pods a failure mode (scenario `podFailures`, or `RunningEmulator.addPodFailure`).
public struct PodFailureRule: Codable, Sendable, Hashable {
    /// What goes wrong.
    public var mode: PodFailureMode
    /// Only pods with this image (nil = any).
    public var image: String?
    /// Only pods with this GPU type (nil = any).
    public var gpuTypeId: String?
    /// Only pods whose name starts with this (nil = any).
    public var namePrefix: String?
    /// Apply to the next N matching pods, then stop (nil = every matching pod).
    public var times: Int?

    /// Creates a rule.
    public init(mode: PodFailureMode, image: String? = nil, gpuTypeId: String? = nil, namePrefix: String? = nil, times: Int? = nil) {
        self.mode = mode
        self.image = image
        self.gpuTypeId = gpuTypeId
        self.namePrefix = namePrefix
        self.times = times
    }

    func matches(_ creation: PodCreation) -> Bool {
        if let image, image != creation.image { return false }
        if let gpuTypeId, gpuTypeId != creation.gpuTypeID { return false }
        if let namePrefix, !creation.name.hasPrefix(namePrefix) { return false }
        return times.map { $0 > 0 } ?? true
    }
}

/// How long each phase of a pod's start takes, in unscaled seconds (the emulator multiplies them by `timeScale`).
public struct PodTimings: Codable, Sendable, Hashable {
    /// PROVISIONING: pulling the image.
    public var imagePullSeconds: Double
    /// STARTING: the container starting.
    public var containerStartSeconds: Double
    /// RUNNING until the app answers on its ports.
    public var appStartSeconds: Double
    /// For `machineLost`: how long after the app answers the machine goes away.
    public var machineLostAfterSeconds: Double

    /// Creates timings; the defaults are what a ComfyUI image on RunPod typically takes.
    public init(imagePullSeconds: Double = 45, containerStartSeconds: Double = 15, appStartSeconds: Double = 30, machineLostAfterSeconds: Double = 60)
    {
        self.imagePullSeconds = imagePullSeconds
        self.containerStartSeconds = containerStartSeconds
        self.appStartSeconds = appStartSeconds
        self.machineLostAfterSeconds = machineLostAfterSeconds
    }

    enum CodingKeys: String, CodingKey { case imagePullSeconds, containerStartSeconds, appStartSeconds, machineLostAfterSeconds }

    /// Decodes, defaulting any missing field.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PodTimings()
        imagePullSeconds = try c.decodeIfPresent(Double.self, forKey: .imagePullSeconds) ?? d.imagePullSeconds
        containerStartSeconds = try c.decodeIfPresent(Double.self, forKey: .containerStartSeconds) ?? d.containerStartSeconds
        appStartSeconds = try c.decodeIfPresent(Double.self, forKey: .appStartSeconds) ?? d.appStartSeconds
        machineLostAfterSeconds = try c.decodeIfPresent(Double.self, forKey: .machineLostAfterSeconds) ?? d.machineLostAfterSeconds
    }
}
