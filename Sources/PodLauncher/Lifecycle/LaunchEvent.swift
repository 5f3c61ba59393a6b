import Foundation
import RunPodAPI

/// Progress of a launch, wait or terminate, as typed values, for one pod or several. Events about one pod name it
/// (`podID`, and `index`: its 0-based place in the launch). The CLI renders them; a library user may log them, show
/// them, or ignore them.
public enum LaunchEvent: Sendable, Hashable {
    /// The network volume was found and pins the pods to its data center.
    case volumeResolved(volumeID: String, dataCenterID: String)
    /// The ordered candidates placement will try, each `(gpuTypeID, cloud)`; read once for all the launch's pods.
    case candidatesChosen(dataCenterID: String?, candidates: [PlacementCandidate])
    /// A create is being sent for pod `index`, for one candidate.
    case creating(PlacementCandidate, index: Int)
    /// RunPod turned a candidate down (no capacity, forbidden pool, …); the next one is tried.
    case candidateRejected(PlacementCandidate, status: Int, detail: String)
    /// A call failed transiently and is tried again after `delay` (`operation` `capacity`: a capacity wait).
    case retrying(operation: String, attempt: Int, delay: Duration, reason: String)
    /// Calls are held back to stay inside RunPod's rate limit.
    case pacing(wait: Duration, reason: String)
    /// Pod `index` of `count` exists (and may bill from now on). `launchID` is the `RUNPOD_LAUNCHER_LAUNCH_ID` its
    /// create sent (see `PodIdentity`), so an observer such as the pod ledger can tie the pod to this launch.
    case created(Pod, launchID: String, index: Int, count: Int)
    /// RunPod reported a new status; `elapsed` counts from the pod's create (or the start of the wait).
    case statusChanged(podID: String, from: RunPod.PodStatus?, to: RunPod.PodStatus, elapsed: Duration)
    /// The container is up; the app port is now probed at `url`.
    case probing(podID: String, url: URL, elapsed: Duration)
    /// The app port answered with an HTTP status below 500 (not 429).
    case appAnswered(podID: String, port: Int, httpStatus: Int, elapsed: Duration)
    /// Pod `index` of `count` is ready.
    case ready(ReadyPod, index: Int, count: Int)
    /// A pod failed (with `minReady` below the count the launch may go on without it).
    case podFailed(index: Int, podID: String?, reason: String)
    /// A terminate was sent.
    case terminating(podID: String, reason: String)
    /// RunPod confirmed the pod gone (404 or TERMINATED on read-back).
    case terminated(podID: String)
}

/// One (GPU type, cloud) pair that placement may try, in one data center or anywhere.
public struct PlacementCandidate: Sendable, Hashable, Codable, CustomStringConvertible {
    public var gpuTypeID: String
    public var cloud: RunPod.Cloud
    public var dataCenterID: String?

    public init(gpuTypeID: String, cloud: RunPod.Cloud, dataCenterID: String?) {
        self.gpuTypeID = gpuTypeID
        self.cloud = cloud
        self.dataCenterID = dataCenterID
    }

    public var description: String {
        "\(gpuTypeID) (\(cloud.rawValue)\(dataCenterID.map { " in \($0)" } ?? ""))"
    }
}
