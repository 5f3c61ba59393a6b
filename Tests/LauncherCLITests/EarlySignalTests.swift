import Foundation
import PodLauncher
import RunPodEmulator
import TestSupport
import Testing

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#endif

/// SIGINT and SIGTERM sent to the real binary at each point of a launch: it always ends with exit 130 and, by the
/// emulator's state, no pod alive.
@Suite("signals: the binary interrupted at every point of launch and wait")
struct EarlySignalTests {
    /// Where in the launch the signal arrives.
    enum Moment: String, CaseIterable, CustomTestStringConvertible {
        /// As soon as the process catches signals (before it has parsed its arguments or sent anything).
        case rightAfterStart
        /// While `POST /v2/pods` is in flight (the emulator holds it for a while).
        case whileCreating
        /// The pod exists and stays PROVISIONING.
        case whileProvisioning
        /// The pod is RUNNING and the launcher probes an app that never answers.
        case whileProbing

        var testDescription: String { rawValue }
    }

    static let signals: [Int32] = [SIGINT, SIGTERM]

    @Test("a signal at any moment of launch ends with exit 130 and no pod alive", arguments: Moment.allCases, signals)
    func interruptedLaunch(at moment: Moment, signal signalNumber: Int32) async throws {
        try await withEmulator { emulator in
            switch moment {
            case .rightAfterStart: break
            case .whileCreating: await emulator.setFaults([FaultRule(operation: "createPod", kind: .latency(milliseconds: 400), times: 1)])
            case .whileProvisioning: await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            case .whileProbing: await emulator.addPodFailure(PodFailureRule(mode: .appNeverAnswers))
            }
            let launcher = try SignalledProcess(["launch", "--timeout", "60"], environment: EndToEndTests.environment(emulator))
            let reached = await eventually {
                switch moment {
                case .rightAfterStart:
                    #if os(Linux)
                        await launcher.catchesInterruptsSoon()
                    #else
                        // No /proc to read the handler from: the first API call proves it is installed.
                        await !emulator.state().calls.isEmpty
                    #endif
                case .whileCreating: await emulator.state().calls["createPod", default: 0] > 0
                case .whileProvisioning: await emulator.state().pods.contains { $0.status == "PROVISIONING" }
                case .whileProbing: launcher.stderrSoFar.contains("probing")
                }
            }
            #expect(reached, "never reached \(moment): \(launcher.stderrSoFar)")
            launcher.send(signalNumber)
            let (result, signalled) = await launcher.result()
            #expect(!signalled, "killed by the signal's default action: \(result.stderr)")
            #expect(result.status == 130, "\(result.stderr)")
            if moment != .whileCreating { #expect(await alivePods(emulator).isEmpty, "\(result.stderr)") }
            switch moment {
            case .whileCreating:
                // The emulator, like RunPod, still applies a create whose client went away. Once it has, that pod
                // must not be alive (the launcher must learn of it and terminate it) and must be the only one.
                let applied = await eventually { await emulator.state().pods.count >= 1 }
                #expect(applied)
                #expect(await emulator.state().pods.count == 1)
                #expect(await alivePods(emulator).isEmpty, "\(result.stderr)")
            case .rightAfterStart, .whileProvisioning, .whileProbing:
                break
            }
        }
    }

    @Test("a signal during wait on an existing pod exits 130 and leaves that pod as it was (wait never terminates)", arguments: signals)
    func interruptedWait(signal signalNumber: Int32) async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            let environment = EndToEndTests.environment(emulator)
            let created = try await Binary.run(["launch", "--no-wait"], environment: environment)
            let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(created.status == 0 && !id.isEmpty, "\(created.stderr)")

            let waiter = try SignalledProcess(["wait", id, "--timeout", "60"], environment: environment)
            let polled = await eventually { await emulator.state().calls["getPod", default: 0] > 0 }
            #expect(polled)
            waiter.send(signalNumber)
            let (result, signalled) = await waiter.result()
            #expect(!signalled)
            #expect(result.status == 130, "\(result.stderr)")
            #expect(await alivePods(emulator).map(\.id) == [id])

            let terminate = try await Binary.run(["terminate", id], environment: environment)
            #expect(terminate.status == 0)
            #expect(await alivePods(emulator).isEmpty)
        }
    }
}
