import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Testing

/// Cells of the fault matrix that were defects (kept as plain expectations once fixed).
@Suite("fault matrix: former known issues")
struct FaultMatrixKnownIssueTests {
    @Test("a 429 from RunPod's proxy is not the app answering: an app that never answers still times out")
    func proxyRateLimitIsNotReady() async throws {
        try await withGatedEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .appNeverAnswers))
            await emulator.setFaults([FaultRule(operation: "proxy", kind: .rateLimited(retryAfterSeconds: 1))])
            let launcher = MatrixRig(emulator: emulator).launcher()
            let failure = try await #require(throws: LauncherFailure.self) {
                let ready = try await launcher.launchUntilReady(LaunchSpec(), timeout: .seconds(2))
                try await launcher.terminatePod(podID: ready.pod.id)
            }
            guard case .timedOut = failure.launcherError else { throw failure }
            for pod in await emulator.state().pods where pod.alive { try await launcher.terminatePod(podID: pod.id) }
            #expect(await emulator.state().pods.allSatisfy { !$0.alive })
        }
    }
}
