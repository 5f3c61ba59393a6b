import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Testing

/// Cells of the fault matrix that were defects (kept as plain expectations once fixed).
@Suite("fault matrix: former known issues")
struct FaultMatrixKnownIssueTests {
    @Test(
        "a 429 from RunPod's proxy is not the app answering: an app that never answers still times out, for 1 pod and for 3",
        arguments: MatrixCell.counts)
    func proxyRateLimitIsNotReady(count: Int) async throws {
        let cell = MatrixCell(fault: .appNeverAnswers, step: .probe, expected: .exit(.timedOut))
        try await withGatedEmulator(FaultMatrixTests.emulatorOptions(for: cell)) { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .appNeverAnswers))
            await emulator.setFaults([FaultRule(operation: "proxy", kind: .rateLimited(retryAfterSeconds: 1))])
            let rig = MatrixRig(emulator: emulator)
            let launcher = rig.launcher()
            let failure = try await #require(throws: LauncherError.self) {
                let launched = try await launcher.launch(
                    LaunchSpec(), count: count, options: LaunchOptions(timeout: FaultMatrixTests.timeout(for: cell)))
                _ = await launcher.terminate(podIDs: launched.podIDs)
            }
            guard case .timedOut = failure.reason else { throw failure }
            let probed = rig.events.events.contains { if case .probing = $0 { true } else { false } }
            #expect(probed, "timed out before any probe: the test proves nothing")
            #expect(await rig.alive.isEmpty, "the launch terminates the pods it gave up on")
            #expect(await emulator.state().pods.count == count)
        }
    }
}
