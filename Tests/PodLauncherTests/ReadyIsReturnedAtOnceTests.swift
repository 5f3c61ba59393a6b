import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

@Suite("a ready launch returns at once")
struct ReadyIsReturnedAtOnceTests {
    @Test("a pod ready before its create has been announced does not wait for the next scheduled read")
    func noReadAfterReady() async throws {
        let clock = SkippingClock()
        var scenario = Scenario()
        scenario.timings = PodTimings(imagePullSeconds: 0, containerStartSeconds: 0, appStartSeconds: 0)
        let options = EmulatorOptions(port: 0, scenario: scenario, timeScale: 1, clock: SkippedEmulatorClock(clock: clock))
        try await withEmulator(options) { emulator in
            let client = RunPodClient(baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey), requestTimeout: .seconds(5), clock: clock)
            // The standard schedule (2 s, then 4 s): a watcher that slept for its next read after the pod was ready
            // would move this clock by seconds. The slow `created` observer holds the creator back, so the watcher sees
            // the pod ready while the creates are not over yet (as a loaded machine schedules it; the bench saw 4 s).
            let configuration = LauncherConfiguration(proxyURLTemplate: emulator.proxyURLTemplate, readyPath: "/system_stats", clock: clock)
            let launcher = RunPodLauncher(client: client, configuration: configuration, ledger: nil) { event in
                if case .created = event { usleep(300_000) }
            }
            let ready = try await launcher.launchPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), options: LaunchOptions(timeout: .seconds(60)))
            #expect(clock.now.offset < .seconds(1), "slept \(clock.sleeps) after the pod was ready")
            try await launcher.terminatePod(podID: ready.pod.id)
            #expect(await alivePods(emulator).isEmpty)
        }
    }
}
