import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Testing

/// The 200-run soak (seed 2026, run 129) left a pod billing when RunPod answered deletePod with 503 more times in a
/// row than one call's retry budget (4 tries): a cleanup must keep trying until its deadline instead.
@Suite("cleanup keeps trying until its deadline")
struct CleanupPersistenceTests {
    @Test("a 503 storm on terminate longer than one call's retries still ends with the pod terminated", arguments: [6, 10])
    func terminateStorm(failures: Int) async throws {
        try await withGatedEmulator { emulator in
            let rig = MatrixRig(emulator: emulator)
            let launcher = rig.launcher()
            await emulator.setFaults([FaultRule(operation: "deletePod", kind: .serverError(status: 503), times: failures)])
            let value = try await launcher.withPod(LaunchSpec(), options: LaunchOptions(timeout: .seconds(20))) { ready in ready.pod.id }
            #expect(!value.isEmpty)
            await emulator.waitUntilIdle()
            #expect(await rig.alive.isEmpty)
            #expect(await emulator.state().calls["deletePod", default: 0] > 4)
        }
    }

    @Test("a terminate that keeps failing past the cleanup deadline is reported with the pod, not hidden")
    func terminateNeverWorks() async throws {
        try await withGatedEmulator { emulator in
            let rig = MatrixRig(emulator: emulator)
            let launcher = rig.launcher()
            await emulator.setFaults([FaultRule(operation: "deletePod", kind: .serverError(status: 503))])
            let failure = try await #require(throws: LauncherError.self) {
                try await launcher.withPod(LaunchSpec(), options: LaunchOptions(timeout: .seconds(20))) { _ in () }
            }
            let alive = await rig.alive
            #expect(alive.count == 1)
            #expect(failure.leftRunning == alive.map(\.id), "the pod still billing is named")
            #expect(failure.cleanupErrors[alive.first?.id ?? ""] != nil, "with why it could not be terminated")
            #expect(failure.description.contains("runpod-launcher terminate \(alive.first?.id ?? "?")"))
            await emulator.setFaults([])
        }
    }
}
