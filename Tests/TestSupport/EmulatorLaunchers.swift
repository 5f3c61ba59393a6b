import Foundation
import Logging
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Synchronization

/// A launcher on the emulator with fast test pacing on the real clock: reads and probes every 10 ms, retries 5 ms
/// apart. Its pods are recorded in `ledger` (a scratch one unless told), never in the user's state directory.
public func emulatorLauncher(
    _ emulator: RunningEmulator, ledger: PodLedger? = scratchLedger(), probeApp: Bool = true, logger: Logger? = nil,
    events: RunPodLauncher.EventHandler? = nil
) -> RunPodLauncher {
    let client = RunPodClient(
        baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey),
        retryPolicy: .exponential(maxAttempts: 4, base: .milliseconds(5), cap: .milliseconds(50), maxTotal: .seconds(5), jitter: false),
        requestTimeout: .seconds(5))
    let configuration = LauncherConfiguration(
        proxyURLTemplate: emulator.proxyURLTemplate, readyPath: "/system_stats", probeApp: probeApp, pollSchedule: .fixed(.milliseconds(10)),
        probeInterval: .milliseconds(10), probeTimeout: .seconds(2),
        createRetryPolicy: .exponential(maxAttempts: 4, base: .milliseconds(5), cap: .milliseconds(50), maxTotal: .seconds(5), jitter: false),
        terminateTimeout: .seconds(10), cleanupDeadline: .seconds(20), credentialSource: .environment(variable: "RUNPOD_API_KEY"))
    return RunPodLauncher(client: client, configuration: configuration, ledger: ledger, logger: logger, events: events)
}

/// A launcher on `clock` for an emulator that follows it (``SkippedEmulatorClock``): reads every 500 ms, probes every
/// 250 ms and retries with second-scale backoff, all skipped, so minutes of launch run in milliseconds.
public func skippingLauncher(
    _ emulator: RunningEmulator, clock: SkippingClock, ledger: PodLedger? = scratchLedger(), events: RunPodLauncher.EventHandler? = nil
) -> RunPodLauncher {
    let client = RunPodClient(
        baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey),
        retryPolicy: .exponential(maxAttempts: 4, base: .milliseconds(200), cap: .seconds(2), maxTotal: .seconds(120), jitter: false),
        requestTimeout: .seconds(5), clock: clock)
    let configuration = LauncherConfiguration(
        proxyURLTemplate: emulator.proxyURLTemplate, readyPath: "/system_stats", clock: clock, pollSchedule: .fixed(.milliseconds(500)),
        probeInterval: .milliseconds(250), probeTimeout: .seconds(2),
        createRetryPolicy: .exponential(maxAttempts: 4, base: .milliseconds(200), cap: .seconds(2), maxTotal: .seconds(30), jitter: false),
        terminateTimeout: .seconds(60), cleanupDeadline: .seconds(30))
    return RunPodLauncher(client: client, configuration: configuration, ledger: ledger, events: events)
}

/// Runs `body` with an emulator whose time follows a fresh ``SkippingClock`` (a 90 s start takes 0.9 s of skipped
/// time at scale 0.01) and a ``skippingLauncher`` on that clock. `configure` adjusts the scenario first.
public func withSkippedEmulator<T: Sendable>(
    timeScale: Double = 0.01, configure: (inout Scenario) -> Void = { _ in }, events: RunPodLauncher.EventHandler? = nil,
    _ body: (RunningEmulator, RunPodLauncher, SkippingClock) async throws -> T
) async throws -> T {
    let clock = SkippingClock()
    var scenario = Scenario()
    configure(&scenario)
    let options = EmulatorOptions(port: 0, scenario: scenario, timeScale: timeScale, clock: SkippedEmulatorClock(clock: clock))
    return try await withEmulator(options) { emulator in
        try await body(emulator, skippingLauncher(emulator, clock: clock, events: events), clock)
    }
}

/// Collects a launcher's events from any task, and passes each to `onEvent` as it comes.
public final class EventLog: Sendable {
    private let list = Mutex<[LaunchEvent]>([])
    private let onEvent: @Sendable (LaunchEvent) -> Void

    /// A log that also calls `onEvent` with each event.
    public init(onEvent: @escaping @Sendable (LaunchEvent) -> Void = { _ in }) { self.onEvent = onEvent }

    /// The handler to give a launcher.
    public var handler: RunPodLauncher.EventHandler {
        { [self] event in
            list.withLock { $0.append(event) }
            onEvent(event)
        }
    }

    /// Every event so far, in order.
    public var events: [LaunchEvent] { list.withLock { $0 } }
}
