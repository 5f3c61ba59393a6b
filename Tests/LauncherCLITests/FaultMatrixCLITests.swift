import Foundation
import LauncherCLI
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Testing

/// Matrix cells through the CLI in-process, for what only the CLI shows: the exit code the shell sees, the pod ID
/// `--keep-on-failure` reports in `--json`, and the command it prints to remove it.
@Suite("fault matrix through the CLI: exit codes and --keep-on-failure")
struct FaultMatrixCLITests {
    @Test(
        "a pod that never starts or an app that never answers: 124; with --keep-on-failure exactly one pod is kept and named",
        arguments: [PodFailureMode.stuckProvisioning, .appNeverAnswers], [false, true])
    func timeouts(mode: PodFailureMode, keep: Bool) async throws {
        try await withGatedEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: mode))
            let arguments = ["launch", "--timeout", "0.3", "--json"] + (keep ? ["--keep-on-failure"] : [])
            let result = try await runInProcess(arguments, environment: EndToEndTests.environment(emulator))
            #expect(result.status == 124, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            #expect((document["error"] as? [String: Any])?["kind"] as? String == "timedOut")
            let pods = await emulator.state().pods
            #expect(pods.count == 1, "one launch, one pod")
            let alive = pods.filter(\.alive)
            if keep {
                #expect(alive.count == 1)
                #expect(document["podId"] as? String == alive.first?.id, "the kept pod's ID is in the JSON")
                #expect(result.stderr.contains("runpod-launcher terminate \(alive.first?.id ?? "?")"))
                for pod in alive { try await MatrixRig(emulator: emulator).launcher().terminatePod(podID: pod.id) }
            } else {
                #expect(alive.isEmpty)
                #expect(document["podId"] == nil)
            }
        }
    }

    @Test(
        "an unreadable volume or catalog answer: 76 before anything is created",
        arguments: [("getNetworkVolume", FaultKind.malformedJSON), ("listGpuTypes", .truncatedJSON), ("getNetworkVolume", .htmlAnswer)])
    func unreadableBeforeCreate(operation: String, kind: FaultKind) async throws {
        try await withGatedEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: operation, kind: kind)])
            let result = try await runInProcess(["launch", "--json"], environment: EndToEndTests.environment(emulator))
            #expect(result.status == 76, "\(result.stderr)")
            #expect(result.stderr.contains(operation))
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("a create whose connection drops after RunPod applied it: the pod is adopted, launch succeeds, one pod")
    func droppedCreate() async throws {
        try await withGatedEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "createPod", kind: .dropConnectionAfterApply, times: 1)])
            let result = try await runInProcess(["launch", "--json"], environment: EndToEndTests.environment(emulator))
            #expect(result.status == 0, "\(result.stderr)")
            let id = try #require(try jsonObject(result.stdout)["id"] as? String)
            let pods = await emulator.state().pods
            #expect(pods.map(\.id) == [id])
            #expect(await emulator.state().calls["createPod"] == 1)
            try await MatrixRig(emulator: emulator).launcher().terminatePod(podID: id)
        }
    }

    @Test(
        "the new fault kinds keep their JSON form (scenario files, POST /_emulator/faults)",
        arguments: [
            FaultKind.lostRequest(milliseconds: 250), .htmlAnswer, .alterField(field: "status", value: "null"),
            .alterField(field: "dataCenter", value: nil),
        ])
    func faultKindsRoundTrip(kind: FaultKind) throws {
        let rule = FaultRule(operation: "getPod", kind: kind, times: 2)
        let decoded = try JSONDecoder().decode(FaultRule.self, from: try JSONEncoder().encode(rule))
        #expect(decoded == rule)
    }
}
