import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Testing

/// A launcher on the emulator with fast test pacing (cost, limits, capacity and profile tests).
func surfaceLauncher(_ emulator: RunningEmulator, events: EventLog = EventLog()) -> RunPodLauncher {
    let client = RunPodClient(
        baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey),
        retryPolicy: .exponential(maxAttempts: 4, base: .milliseconds(5), cap: .milliseconds(50), maxTotal: .seconds(5), jitter: false),
        requestTimeout: .seconds(5))
    let configuration = LauncherConfiguration(
        proxyURLTemplate: emulator.proxyURLTemplate, readyPath: "/system_stats", pollSchedule: .fixed(.milliseconds(10)),
        probeInterval: .milliseconds(10), probeTimeout: .seconds(2),
        createRetryPolicy: .exponential(maxAttempts: 4, base: .milliseconds(5), cap: .milliseconds(50), maxTotal: .seconds(5), jitter: false),
        terminateTimeout: .seconds(10), cleanupDeadline: .seconds(20))
    return RunPodLauncher(client: client, configuration: configuration, ledger: scratchLedger(), events: events.handler)
}

/// A ledger in a fresh temporary directory (created on the first write), so no test writes the real
/// `$XDG_STATE_HOME/runpod-launcher` of whoever runs `swift test`. `HermeticLedgerTests` checks every launcher the
/// package builds names its ledger.
func scratchLedger() -> PodLedger {
    PodLedger(directory: FileManager.default.temporaryDirectory.appendingPathComponent("pod-ledger-tests-\(UUID().uuidString)"))
}

/// Pods the emulator still has alive.
func alivePods(_ emulator: RunningEmulator) async -> [EmulatorState.PodState] {
    await emulator.state().pods.filter(\.alive)
}

/// Capacity tries 20 ms apart, no jitter: a wait of a few tries takes ~100 ms.
let quickCapacityBackoff = CapacityBackoff(schedule: .fixed(.milliseconds(20)), jitter: false)
