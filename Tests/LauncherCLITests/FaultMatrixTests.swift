import Foundation
import LauncherCLI
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

/// Every fault the emulator can inject, at every step of a launch it can hit, through the library the CLI runs
/// (`launch` / `withPods`), for a single pod and for three (`--count 3`), with the exit code the CLI maps the outcome
/// to (`Failure.from`).
///
/// Each cell checks the rule the launcher promises: the documented outcome, no pod alive afterwards (unless
/// `keepOnFailure`, then exactly the ones reported), never more pods than asked for and never two pods for one launch ID.
@Suite("fault matrix: each fault at each step ends as documented and leaves no pod behind")
struct FaultMatrixTests {
    /// Transient wire faults: retried (or looked through) to success, except an unreadable volume or catalog
    /// answer, which is a contract breach (76) caught before anything bills.
    static let transientCells: [MatrixCell] = MatrixFault.wire.flatMap { fault in
        MatrixStep.allCases.map { step in
            let times = [.serverError, .htmlServerError, .rateLimited].contains(fault) ? 2 : 1
            let unreadableRead = (fault == .malformedJSON || fault == .truncatedJSON) && (step == .resolveVolume || step == .readStock)
            // An unreadable answer is not retried, so hitting every try is the same as hitting one; it also keeps the
            // cell independent of which try a slow first connection spends.
            return unreadableRead
                ? MatrixCell(fault: fault, step: step, times: nil, expected: .exit(.malformedResponse))
                : MatrixCell(fault: fault, step: step, times: times, expected: .ready)
        }
    }

    /// Faults that do not go away, and pods that go wrong: the documented exit codes.
    static let lastingCells: [MatrixCell] = [
        MatrixCell(fault: .serverError, step: .resolveVolume, times: nil, expected: .exit(.unavailable)),
        MatrixCell(fault: .htmlServerError, step: .readStock, times: nil, expected: .exit(.unavailable)),
        MatrixCell(fault: .rateLimited, step: .readStock, times: nil, expected: .exit(.unavailable)),
        MatrixCell(fault: .latency, step: .resolveVolume, times: nil, expected: .exit(.unavailable)),
        MatrixCell(fault: .serverError, step: .create, times: nil, expected: .exit(.unavailable)),
        MatrixCell(fault: .rateLimited, step: .create, times: nil, expected: .exit(.unavailable)),
        MatrixCell(fault: .latency, step: .create, times: nil, expected: .ready),
        MatrixCell(fault: .lostRequest, step: .create, times: 1, expected: .exit(.unavailable)),
        MatrixCell(fault: .lostRequest, step: .poll, times: 2, expected: .ready),
        MatrixCell(fault: .lostRequest, step: .terminate, times: 1, expected: .ready),
        MatrixCell(fault: .droppedConnection, step: .create, times: nil, expected: .ready),
        MatrixCell(fault: .malformedJSON, step: .create, times: nil, expected: .ready),
        MatrixCell(fault: .htmlServerError, step: .probe, times: nil, expected: .exit(.timedOut)),
        // RunPod's proxy rate-limiting every probe says nothing about the app: never ready (the old fleet path called a 429 ready).
        MatrixCell(fault: .rateLimited, step: .probe, times: nil, expected: .exit(.timedOut)),
        // A terminate storm longer than one call's retry budget (4 tries): the cleanup keeps at it until its deadline.
        MatrixCell(fault: .serverError, step: .terminate, times: 8, expected: .ready),
        MatrixCell(fault: .neverStarts, step: .poll, expected: .exit(.timedOut)),
        MatrixCell(fault: .machineLost, step: .poll, expected: .exit(.podFailed)),
        MatrixCell(fault: .machineLost, step: .terminate, expected: .ready),
        MatrixCell(fault: .appNeverAnswers, step: .probe, expected: .exit(.timedOut)),
        MatrixCell(fault: .neverStarts, step: .poll, keepOnFailure: true, expected: .exit(.timedOut)),
        MatrixCell(fault: .appNeverAnswers, step: .probe, keepOnFailure: true, expected: .exit(.timedOut)),
        MatrixCell(fault: .htmlServerError, step: .probe, times: nil, keepOnFailure: true, expected: .exit(.timedOut)),
        MatrixCell(fault: .rateLimited, step: .probe, times: nil, keepOnFailure: true, expected: .exit(.timedOut)),
    ]

    @Test("wire faults at each step, for 1 pod and for 3", arguments: MatrixCell.forEachCount(transientCells))
    func transient(_ cell: MatrixCell) async throws {
        try await Self.run(cell)
    }

    @Test("lasting faults and failing pods, for 1 pod and for 3", arguments: MatrixCell.forEachCount(lastingCells))
    func lasting(_ cell: MatrixCell) async throws {
        try await Self.run(cell)
    }

    /// A short readiness timeout (in skipped time) for cells that must time out; a generous one for the rest.
    static func timeout(for cell: MatrixCell) -> Duration {
        cell.expected == .exit(.timedOut) ? .seconds(2) : .seconds(120)
    }

    /// Cells that must time out on their probes start their pods at once (no image pull, no start-up), so the pods
    /// are RUNNING with ports, and probed, well before the short timeout: else a timeout would prove nothing about
    /// what the probes got.
    static func emulatorOptions(for cell: MatrixCell) -> EmulatorOptions {
        guard cell.step == .probe, cell.expected == .exit(.timedOut) else { return matrixEmulatorOptions }
        var options = matrixEmulatorOptions
        options.scenario.timings = PodTimings(imagePullSeconds: 0, containerStartSeconds: 0, appStartSeconds: 0)
        return options
    }

    static func run(_ cell: MatrixCell) async throws {
        try await withGatedEmulator(emulatorOptions(for: cell)) { emulator in
            let rig = MatrixRig(emulator: emulator)
            let launcher = rig.launcher()
            switch cell.fault {
            case .neverStarts: await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            case .appNeverAnswers: await emulator.addPodFailure(PodFailureRule(mode: .appNeverAnswers))
            case .machineLost where cell.step == .poll: await emulator.addPodFailure(PodFailureRule(mode: .appNeverAnswers))
            default: break
            }
            let rule = cell.rule
            if let rule, !cell.step.isAfterReady { await emulator.setFaults([rule]) }
            let options = LaunchOptions(timeout: timeout(for: cell), keepOnFailure: cell.keepOnFailure)

            let outcome: MatrixOutcome
            var failure: LauncherError?
            if cell.keepOnFailure {
                do {
                    _ = try await launcher.launch(LaunchSpec(), count: cell.count, options: options)
                    outcome = .ready
                } catch let error as LauncherError {
                    failure = error
                    outcome = .exit(try #require(LauncherExit(rawValue: Failure.from(error).status)))
                }
            } else {
                // A pod that exits while the launcher waits: take its machine away once it runs.
                let loser: Task<Void, Never>? =
                    cell.fault == .machineLost && cell.step == .poll
                    ? Task {
                        _ = await eventually { await emulator.state().pods.contains { $0.status == "RUNNING" } }
                        if let pod = await emulator.state().pods.first(where: { $0.status == "RUNNING" }) {
                            try? await emulator.loseMachine(podID: pod.id)
                        }
                    } : nil
                do {
                    try await launcher.withPods(LaunchSpec(), count: cell.count, options: options) { launched in
                        #expect(launched.pods.count == cell.count, "every pod ready")
                        // Ready means the app really answers, whatever the fault did to the probes.
                        for ready in launched.pods {
                            #expect(await emulator.pod(id: ready.pod.id)?.appReady == true, "ready before the app answered")
                        }
                        if let rule, cell.step.isAfterReady { await emulator.setFaults([rule]) }
                        if cell.fault == .machineLost, let first = launched.pods.first { try await emulator.loseMachine(podID: first.pod.id) }
                    }
                    outcome = .ready
                } catch let error as LauncherError {
                    failure = error
                    outcome = .exit(try #require(LauncherExit(rawValue: Failure.from(error).status)))
                }
                await loser?.value
            }

            // A create held by a latency fault lands after its client gave up: count pods only once it has.
            #expect(await emulator.waitUntilIdle(), "requests still held by the emulator")
            let calls = await emulator.state().calls
            #expect(
                outcome == cell.expected,
                "\(failure.map { "\($0)" } ?? "succeeded") events: \(rig.events.events.map { "\($0)".prefix(160) }) calls: \(calls)")
            let pods = await rig.allPods
            #expect(pods.count <= cell.count, "more pods than asked for: \(pods.map { "\($0.id) \($0.status)" })")
            #expect(await rig.duplicatedLaunchIDs.isEmpty, "two pods for one launch ID: \(pods.map { "\($0.id) \($0.status)" })")
            let alive = await rig.alive
            if cell.keepOnFailure {
                #expect(alive.count == cell.count, "--keep-on-failure keeps every pod that did not become ready")
                #expect(Set(failure?.leftRunning ?? []) == Set(alive.map(\.id)), "the kept pods' IDs are reported")
                #expect(failure?.terminated.isEmpty == true)
                _ = await launcher.terminate(podIDs: alive.map(\.id))
                #expect(await rig.alive.isEmpty)
            } else {
                #expect(alive.isEmpty, "pods left alive: \(alive.map(\.id)) \(failure.map { "\($0)" } ?? "")")
                if let failure {
                    #expect(failure.leftRunning.isEmpty, "\(failure)")
                    // Every pod the failed launch created is named as terminated (the CLI says so).
                    #expect(Set(failure.terminated) == Set(pods.map(\.id)), "\(failure)")
                }
            }
            if cell.step == .create, [.latency, .droppedConnection, .lostRequest].contains(cell.fault) {
                #expect(calls["createPod"] == cell.count, "a create that got no answer was sent again")
            }
            if cell.fault == .rateLimited, cell.expected == .ready, cell.step != .probe {
                #expect(
                    rig.clock.sleeps.contains { $0 >= .seconds(MatrixRig.retryAfterSeconds) },
                    "Retry-After was not honoured: slept \(rig.clock.sleeps)")
            }
            if cell.step == .probe, cell.expected == .exit(.timedOut) {
                // The pods ran and their app port was probed before the timeout: the probes' answers decided it.
                let probed = Set(
                    rig.events.events.compactMap { event -> String? in
                        if case .probing(let podID, _, _) = event { return podID }
                        return nil
                    })
                #expect(probed.count == cell.count, "timed out before every pod was probed: the cell proves nothing")
            }
            if let failure, case .exit(let status) = cell.expected, status != .timedOut {
                #expect(!failure.description.isEmpty)
            }
        }
    }
}
