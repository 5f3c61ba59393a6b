import Foundation
import RunPodEmulator
import Testing

@testable import LauncherCLI

@Suite("RunPod API calls a launch costs")
struct APICallBudgetTests {
    /// RunPod API calls in the emulator's counts (REST operations and GraphQL); proxy requests and inspection are not.
    static func apiCalls(_ emulator: RunningEmulator) async -> [String: Int] {
        await emulator.state().calls.filter { !$0.key.hasPrefix("_") && $0.key != "proxy" }
    }

    @Test("a pod that is ready at once costs six calls off a terminal (volume, catalog, create, read, terminate, confirm) and no log stream")
    func zeroDelayLifecycle() async throws {
        var scenario = Scenario.default
        scenario.timings = PodTimings(imagePullSeconds: 0, containerStartSeconds: 0, appStartSeconds: 0)
        try await withEmulator(EmulatorOptions(port: 0, scenario: scenario, timeScale: 1)) { emulator in
            let result = try await runInProcess(["run", "--", "true"], environment: try Observe.environment(emulator))
            #expect(result.status == 0, "\(result.stderr)")
            let calls = await Self.apiCalls(emulator)
            #expect(calls["getPodLogs", default: 0] == 0, "\(calls)")
            #expect(calls.values.reduce(0, +) <= 6, "\(calls)")
            #expect(await emulator.state().pods.filter(\.alive).isEmpty)
        }
    }
}
