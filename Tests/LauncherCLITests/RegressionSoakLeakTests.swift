import Foundation
import LauncherCLI
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Testing

/// The leak the 200-run soak found: a create that RunPod applied but whose answer was unreadable, followed by a
/// failed look-up (`GET /v2/pods`), left the pod running. The launcher must still find the pod by its identity
/// and terminate it (it does not adopt it: the launch failed, see `launchPod`), and exit with the code of
/// the error that stopped it.
@Suite("regression: an unreadable create answer followed by a failed look-up leaks no pod")
struct RegressionSoakLeakTests {
    /// One way the look-up fails, and the exit code the launch then ends with.
    struct LookupFailure: Sendable, CustomTestStringConvertible {
        var label: String
        var rule: FaultRule
        var expected: LauncherExit
        var testDescription: String { "\(label) → exit \(expected.rawValue)" }
    }

    static let lookupFailures: [LookupFailure] = [
        LookupFailure(
            label: "listPods unreadable once", rule: FaultRule(operation: "listPods", kind: .malformedJSON, times: 1), expected: .malformedResponse),
        LookupFailure(
            label: "listPods unreadable twice", rule: FaultRule(operation: "listPods", kind: .truncatedJSON, times: 2), expected: .malformedResponse),
        // Five 503s: past the client's four tries, so the launch's own look-up fails once too, then finds the pod.
        LookupFailure(
            label: "listPods 503 past the client's retries", rule: FaultRule(operation: "listPods", kind: .serverError(status: 503), times: 5),
            expected: .unavailable),
    ]

    @Test("through the library: the pod is found by identity and terminated", arguments: lookupFailures)
    func library(_ lookup: LookupFailure) async throws {
        try await withGatedEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "createPod", kind: .malformedJSON, times: 1), lookup.rule])
            let launcher = MatrixRig(emulator: emulator).launcher()
            let failure = try await #require(throws: LauncherError.self) {
                try await launcher.launchPod(LaunchSpec(), options: LaunchOptions(timeout: .seconds(30)))
            }
            #expect(Failure.from(failure).status == lookup.expected.rawValue, "\(failure)")
            let pods = await emulator.state().pods
            #expect(pods.count == 1, "one create, one pod")
            #expect(failure.terminated == pods.map(\.id), "the failure names the pod it found")
            #expect(failure.leftRunning.isEmpty)
            #expect(failure.description.contains("was terminated"))
            #expect(pods.allSatisfy { !$0.alive }, "leaked: \(pods.filter(\.alive).map(\.id))")
        }
    }

    @Test("through the CLI: launch exits with the documented code and no pod is alive", arguments: lookupFailures)
    func cli(_ lookup: LookupFailure) async throws {
        try await withGatedEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "createPod", kind: .malformedJSON, times: 1), lookup.rule])
            let result = try await runInProcess(["launch", "--json"], environment: EndToEndTests.environment(emulator))
            #expect(result.status == lookup.expected.rawValue, "\(result.stderr)")
            let pods = await emulator.state().pods
            #expect(pods.count == 1)
            #expect(pods.allSatisfy { !$0.alive }, "leaked: \(pods.filter(\.alive).map(\.id))")
            let document = try jsonObject(result.stdout)
            #expect(document["podId"] == nil, "a terminated pod is not reported as one that may bill")
            #expect(result.stderr.contains("Pod \(pods.first?.id ?? "?") was terminated"))
        }
    }
}
