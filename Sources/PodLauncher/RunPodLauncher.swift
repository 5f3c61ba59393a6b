import Foundation
import Logging
import RunPodAPI

/// Launches RunPod pods with a network volume, waits until they are really ready, and terminates them.
///
/// Signatures fixed for the CLI and for users; bodies written by the PodLauncher implementer.
public struct RunPodLauncher: Sendable {
    public typealias EventHandler = @Sendable (LaunchEvent) -> Void

    public init(client: RunPodClient, configuration: LauncherConfiguration = .init(), logger: Logger? = nil, events: EventHandler? = nil) {
        fatalError("unimplemented")
    }

    /// Places and creates a pod (RunPod's read-then-create pattern); returns as soon as it exists.
    public func launchPod(_ spec: LaunchSpec) async throws -> Pod { fatalError("unimplemented") }

    /// Waits until the pod is RUNNING, publishes its ports, and its app port answers. Does not terminate.
    public func waitForReady(podID: String, timeout: Duration = Defaults.readyTimeout) async throws -> ReadyPod {
        fatalError("unimplemented")
    }

    /// Terminates the pod and reads it back until RunPod confirms it gone.
    public func terminatePod(podID: String) async throws { fatalError("unimplemented") }

    /// Launches, waits, runs `body` with the ready pod, and always terminates it: on success, error and cancellation.
    public func withPod<T: Sendable>(
        _ spec: LaunchSpec, timeout: Duration = Defaults.readyTimeout, _ body: (ReadyPod) async throws -> T
    ) async throws -> T {
        fatalError("unimplemented")
    }
}

/// How the launcher paces itself and reaches app ports.
public struct LauncherConfiguration: Sendable {
    /// `{podId}` and `{port}` are replaced; RunPod's is `https://{podId}-{port}.proxy.runpod.net`.
    public var proxyURLTemplate: String
    /// HTTP path probed on the app port.
    public var readyPath: String
    /// False skips the app-port probe: ready means RUNNING with ports.
    public var probeApp: Bool
    /// Time source for polling and backoff; tests pass a faster one.
    public var clock: any Clock<Duration>

    public init(
        proxyURLTemplate: String = Defaults.proxyURLTemplate, readyPath: String = Defaults.readyPath, probeApp: Bool = true,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.proxyURLTemplate = proxyURLTemplate
        self.readyPath = readyPath
        self.probeApp = probeApp
        self.clock = clock
    }
}
