import Foundation
import LauncherCLI
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

/// Matrix cells through the CLI in-process, for a single pod and for `--count 3`, for what only the CLI shows: the
/// exit code the shell sees, the pod IDs `--keep-on-failure` reports in `--json`, and the command it prints to remove them.
@Suite("fault matrix through the CLI: exit codes and --keep-on-failure")
struct FaultMatrixCLITests {
    /// `--count N` when N > 1; nothing for one pod (which `--count 1` must equal).
    static func countFlag(_ count: Int) -> [String] { count == 1 ? [] : ["--count", String(count)] }

    /// Each pod failure, without and with --keep-on-failure, for each launch size.
    static let timeoutCases: [(PodFailureMode, Bool, Int)] = [PodFailureMode.stuckProvisioning, .appNeverAnswers].flatMap { mode in
        [false, true].flatMap { keep in MatrixCell.counts.map { (mode, keep, $0) } }
    }

    @Test(
        "a pod that never starts or an app that never answers: 124; with --keep-on-failure exactly the pods are kept and named",
        arguments: timeoutCases)
    func timeouts(mode: PodFailureMode, keep: Bool, count: Int) async throws {
        do {
            try await withGatedEmulator { emulator in
                await emulator.addPodFailure(PodFailureRule(mode: mode))
                let arguments = ["launch", "--timeout", "0.3", "--json"] + Self.countFlag(count) + (keep ? ["--keep-on-failure"] : [])
                let result = try await runInProcess(arguments, environment: EndToEndTests.environment(emulator))
                #expect(result.status == 124, "N=\(count): \(result.stderr)")
                let document = try jsonObject(result.stdout)
                #expect((document["error"] as? [String: Any])?["kind"] as? String == "timedOut")
                let pods = await emulator.state().pods
                #expect(pods.count == count, "N=\(count): one pod per pod asked for")
                let alive = pods.filter(\.alive)
                if keep {
                    #expect(alive.count == count)
                    let ids = alive.map(\.id)
                    #expect(Set(document["podIds"] as? [String] ?? []) == Set(ids), "the kept pods' IDs are in the JSON")
                    #expect(ids.contains(document["podId"] as? String ?? "?"), "podId names one of them")
                    let named = try #require(result.stderr.split(separator: "\n").first { $0.contains("runpod-launcher terminate ") })
                    #expect(ids.allSatisfy { named.contains($0) }, "the printed terminate command names every kept pod: \(named)")
                    _ = await MatrixRig(emulator: emulator).launcher().terminate(podIDs: ids)
                } else {
                    #expect(alive.isEmpty)
                    #expect(document["podId"] == nil)
                    #expect(document["podIds"] == nil)
                }
            }
        }
    }

    @Test(
        "RunPod's proxy answering 429 for ever is not the app answering: 124 and no pod alive",
        arguments: MatrixCell.counts)
    func proxyRateLimitedForEver(count: Int) async throws {
        try await withGatedEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "proxy", kind: .rateLimited(retryAfterSeconds: 1))])
            // Long enough for the first status read (2 s into the standard schedule) and several probes.
            let arguments = ["launch", "--timeout", "4", "--json"] + Self.countFlag(count)
            let result = try await runInProcess(arguments, environment: EndToEndTests.environment(emulator))
            #expect(result.status == 124, "\(result.stderr)")
            #expect((try jsonObject(result.stdout)["error"] as? [String: Any])?["kind"] as? String == "timedOut")
            #expect(result.stderr.contains("429"), "the timeout says what the probes got: \(result.stderr)")
            let pods = await emulator.state().pods
            #expect(pods.count == count)
            #expect(pods.allSatisfy { !$0.alive }, "\(pods.map { "\($0.id) \($0.status)" })")
            #expect(await emulator.state().calls["proxy", default: 0] >= count, "every pod's app port was probed")
        }
    }

    @Test(
        "RunPod answering 503 to the first 8 terminates: run -- false still ends with every pod gone, exit 1",
        arguments: [1, 2])
    func terminateStormAfterRun(count: Int) async throws {
        try await withGatedEmulator { emulator in
            let arguments = ["run"] + Self.countFlag(count) + ["--", "sh", "-c", "echo \"$RUNPOD_POD_IDS\"; false"]
            let environment = EndToEndTests.environment(emulator)
            // Faults set once the pods exist, so they hit the terminates and nothing before them.
            let injector = Task {
                let started = await eventually(timeout: .seconds(30)) { await emulator.state().pods.filter(\.alive).count == count }
                await emulator.setFaults([FaultRule(operation: "deletePod", kind: .serverError(status: 503), times: 8)])
                return started
            }
            // The binary, so COMMAND's stdout (the pod IDs) is captured.
            let result = try await Binary.run(arguments, environment: environment)
            #expect(await injector.value)
            #expect(result.status == 1, "\(result.stderr)")
            let state = await emulator.state()
            let ids = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map(String.init)
            #expect(Set(ids) == Set(state.pods.map(\.id)) && ids.count == count, "\(result.stdout)")
            #expect(state.pods.allSatisfy { !$0.alive }, "left alive: \(state.pods.filter(\.alive).map(\.id)) \(result.stderr)")
            let faultsLeft = await emulator.faults()
            #expect(faultsLeft.isEmpty, "the 8 refusals were spent: \(faultsLeft)")
            #expect(state.calls["deletePod", default: 0] >= 8 + count)
            #expect(result.stderr.contains(count == 1 ? "done: pod \(ids.first ?? "?") terminated" : "done: every pod terminated; exit status 1."))
        }
    }

    @Test(
        "an unreadable volume or catalog answer: 76 before anything is created",
        arguments: [("getNetworkVolume", FaultKind.malformedJSON), ("listGpuTypes", .truncatedJSON), ("getNetworkVolume", .htmlAnswer)],
        MatrixCell.counts)
    func unreadableBeforeCreate(read: (operation: String, kind: FaultKind), count: Int) async throws {
        let (operation, kind) = read
        try await withGatedEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: operation, kind: kind)])
            let result = try await runInProcess(["launch", "--json"] + Self.countFlag(count), environment: EndToEndTests.environment(emulator))
            #expect(result.status == 76, "\(result.stderr)")
            #expect(result.stderr.contains(operation))
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test(
        "a create whose connection drops after RunPod applied it: the pod is adopted, launch succeeds, one pod each",
        arguments: MatrixCell.counts)
    func droppedCreate(count: Int) async throws {
        try await withGatedEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "createPod", kind: .dropConnectionAfterApply, times: 1)])
            let result = try await runInProcess(["launch", "--json"] + Self.countFlag(count), environment: EndToEndTests.environment(emulator))
            #expect(result.status == 0, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            let ids: [String] =
                count == 1
                ? [try #require(document["id"] as? String)] : try #require(document["pods"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            let pods = await emulator.state().pods
            #expect(Set(pods.map(\.id)) == Set(ids) && ids.count == count)
            #expect(await emulator.state().calls["createPod"] == count)
            _ = await MatrixRig(emulator: emulator).launcher().terminate(podIDs: ids)
            #expect(await emulator.state().pods.allSatisfy { !$0.alive })
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
