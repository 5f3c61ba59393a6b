import Foundation
import PodLauncher
import RunPodEmulator

/// A ledger in a fresh temporary directory (created on the first write), so no test writes the real
/// `$XDG_STATE_HOME/runpod-launcher` of whoever runs `swift test`. `HermeticLedgerTests` checks every launcher the
/// package builds names its ledger.
public func scratchLedger() -> PodLedger {
    PodLedger(directory: FileManager.default.temporaryDirectory.appendingPathComponent("pod-ledger-tests-\(UUID().uuidString)"))
}

/// Pods the emulator still has alive.
public func alivePods(_ emulator: RunningEmulator) async -> [EmulatorState.PodState] {
    await emulator.state().pods.filter(\.alive)
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes, then returns whether it held.
///
/// For waiting on another task or process, not on time: tests of timing use a ``SkippingClock``.
public func eventually(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return await condition()
}

/// The emulator's "now" driven by a launcher's ``SkippingClock``: time passes only when the launcher sleeps, so pod
/// start-up and rate-limit windows (60 s) run in microseconds yet stay in step with the launcher's pacing.
public struct SkippedEmulatorClock: EmulatorClock {
    /// The clock the launcher sleeps on.
    public let clock: SkippingClock
    /// The wall-clock time at the skipping clock's zero.
    public let start: Date

    /// Follows `clock`, starting at `start`.
    public init(clock: SkippingClock, start: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        self.clock = clock
        self.start = start
    }

    public var now: Date {
        let offset = clock.now.offset.components
        return start.addingTimeInterval(Double(offset.seconds) + Double(offset.attoseconds) / 1e18)
    }
}

/// A URL from a literal the test knows is valid (no force-unwrap: an invalid literal gives a URL no request reaches).
public func testURL(_ text: String) -> URL { URL(string: text) ?? URL(fileURLWithPath: "/invalid-test-url") }
