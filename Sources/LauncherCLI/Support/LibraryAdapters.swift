import Foundation
import PodLauncher
import RunPodAPI

// ADAPTERS: small shims between the CLI and the libraries, kept here so they are easy to find and remove
// once the libraries provide the same thing.

/// ADAPTER: launch + wait + terminate-on-failure, until `RunPodLauncher.launchUntilReady(_:timeout:keepOnFailure:)` lands.
enum LauncherAdapter {
    static func launchUntilReady(_ launcher: RunPodLauncher, _ spec: LaunchSpec, timeout: Duration, keepOnFailure: Bool) async throws -> ReadyPod {
        let pod = try await launcher.launchPod(spec)
        do {
            return try await launcher.waitForReady(podID: pod.id, timeout: timeout)
        } catch {
            if !keepOnFailure {
                // Shielded from the cancellation that may have caused the failure: the pod must not outlive us.
                try? await Task { try await launcher.terminatePod(podID: pod.id) }.value
            }
            throw error
        }
    }
}
