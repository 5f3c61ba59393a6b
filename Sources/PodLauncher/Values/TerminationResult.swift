import Foundation

/// What became of one pod asked to be terminated.
public struct TerminationResult: Sendable {
    /// The outcome.
    public enum Outcome: Sendable {
        /// RunPod confirmed the pod gone after this terminate.
        case terminated
        /// RunPod did not know the pod (already terminated, or never existed).
        case alreadyGone
        /// The pod could not be confirmed gone: it may still bill.
        case failed(LauncherError)
    }

    /// The pod.
    public var podID: String
    /// What became of it.
    public var outcome: Outcome
    /// The pod as read just before the terminate (RunPod reports a rate of 0 afterwards); nil when it could not be read.
    public var pod: Pod?
    /// When RunPod confirmed it gone.
    public var endedAt: Date?

    /// Creates a result.
    public init(podID: String, outcome: Outcome, pod: Pod? = nil, endedAt: Date? = nil) {
        self.podID = podID
        self.outcome = outcome
        self.pod = pod
        self.endedAt = endedAt
    }

    /// The error, when the pod could not be confirmed gone.
    public var error: LauncherError? {
        if case .failed(let error) = outcome { return error }
        return nil
    }

    /// True when the pod is gone (terminated now, or already).
    public var isGone: Bool { error == nil }

    /// What the pod cost from its creation to its end (an estimate; see `PodCost`), when it was read before.
    public var cost: PodCost? {
        guard case .terminated = outcome, let pod, let endedAt else { return nil }
        return PodCost(pod: pod, until: endedAt)
    }
}
