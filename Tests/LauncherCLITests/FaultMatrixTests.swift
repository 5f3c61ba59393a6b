import Foundation
import LauncherCLI
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

/// Every fault the emulator can inject, at every step of a launch it can hit, through the library the CLI runs
/// (`launchUntilReady` / `withPod`), with the exit code the CLI maps the outcome to (`Failure.from`).
///
/// Each cell checks the rule the launcher promises: the documented outcome, no pod alive afterwards (unless
/// `keepOnFailure`, then exactly the one reported), and never two pods for one launch.
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
        MatrixCell(fault: .neverStarts, step: .poll, expected: .exit(.timedOut)),
        MatrixCell(fault: .machineLost, step: .poll, expected: .exit(.podFailed)),
        MatrixCell(fault: .machineLost, step: .terminate, expected: .ready),
        MatrixCell(fault: .appNeverAnswers, step: .probe, expected: .exit(.timedOut)),
        MatrixCell(fault: .neverStarts, step: .poll, keepOnFailure: true, expected: .exit(.timedOut)),
        MatrixCell(fault: .appNeverAnswers, step: .probe, keepOnFailure: true, expected: .exit(.timedOut)),
        MatrixCell(fault: .htmlServerError, step: .probe, times: nil, keepOnFailure: true, expected: .exit(.timedOut)),
    ]

    @Test("wire faults at each step", arguments: transientCells)
    func transient(_ cell: MatrixCell) async throws {
        try await Self.run(cell)
    }

    @Test("lasting faults and failing pods", arguments: lastingCells)
    func lasting(_ cell: MatrixCell) async throws {
        try await Self.run(cell)
    }

    /// A short readiness timeout for cells that must time out; a generous one (in skipped time) for the rest.
    static func timeout(for cell: MatrixCell) -> Duration {
        cell.expected == .exit(.timedOut) ? .seconds(2) : .seconds(120)
    }

    static func run(_ cell: MatrixCell) async throws {
        try await withGatedEmulator { emulator in
            let rig = MatrixRig(emulator: emulator)
            let launcher = rig.launcher()
            switch cell.fault {
            case .neverStarts: await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            case .appNeverAnswers: await emulator.addPodFailure(PodFailureRule(mode: .appNeverAnswers))
            case .machineLost where cell.step == .poll: await emulator.addPodFailure(PodFailureRule(mode: .appNeverAnswers))
            default: break
            }
            let rule = cell.fault.rule(operation: cell.step.operation, times: cell.times)
            if let rule, !cell.step.isAfterReady { await emulator.setFaults([rule]) }

            let outcome: MatrixOutcome
            var failure: LauncherFailure?
            if cell.keepOnFailure {
                do {
                    _ = try await launcher.launchUntilReady(LaunchSpec(), timeout: timeout(for: cell), keepOnFailure: true)
                    outcome = .ready
                } catch let error as LauncherFailure {
                    failure = error
                    outcome = .exit(try #require(LauncherExit(rawValue: Failure.from(error).status)))
                }
            } else {
                // A pod that exits while the launcher waits: take its machine away once it runs.
                let loser: Task<Void, Never>? =
                    cell.fault == .machineLost && cell.step == .poll
                    ? Task {
                        _ = await eventually { await emulator.state().pods.contains { $0.status == "RUNNING" } }
                        if let pod = await emulator.state().pods.first { try? await emulator.loseMachine(podID: pod.id) }
                    } : nil
                do {
                    try await launcher.withPod(LaunchSpec(), timeout: timeout(for: cell)) { ready in
                        // Ready means the app really answers, whatever the fault did to the probes.
                        #expect(await emulator.pod(id: ready.pod.id)?.appReady == true, "ready before the app answered")
                        if let rule, cell.step.isAfterReady { await emulator.setFaults([rule]) }
                        if cell.fault == .machineLost { try await emulator.loseMachine(podID: ready.pod.id) }
                    }
                    outcome = .ready
                } catch let error as LauncherFailure {
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
            #expect(pods.count <= 1, "two pods for one launch: \(pods.map { "\($0.id) \($0.status)" })")
            let alive = await rig.alive
            if cell.keepOnFailure {
                #expect(alive.count == 1, "--keep-on-failure keeps exactly the one pod")
                #expect(failure?.podLeftRunning == true)
                #expect(failure?.podID == alive.first?.id, "the kept pod's ID is reported")
                for pod in alive { try await launcher.terminatePod(podID: pod.id) }
            } else {
                #expect(alive.isEmpty, "pods left alive: \(alive.map(\.id))")
                if let failure, failure.podID != nil { #expect(!failure.podLeftRunning) }
            }
            if cell.step == .create, [.latency, .droppedConnection, .lostRequest].contains(cell.fault) {
                #expect(calls["createPod"] == 1, "a create that got no answer was sent again")
            }
            if cell.fault == .rateLimited, cell.expected == .ready, cell.step != .probe {
                #expect(
                    rig.clock.sleeps.contains { $0 >= .seconds(MatrixRig.retryAfterSeconds) },
                    "Retry-After was not honoured: slept \(rig.clock.sleeps)")
            }
            if let failure, case .exit(let status) = cell.expected, status != .timedOut {
                #expect(!failure.description.isEmpty)
            }
        }
    }
}
