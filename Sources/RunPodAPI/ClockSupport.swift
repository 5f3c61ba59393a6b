import Foundation

/// Measuring and sleeping on an injected `any Clock<Duration>`, so tests can run time fast.
public struct Stopwatch: Sendable {
    private let read: @Sendable () -> Duration

    /// Starts measuring now on `clock`.
    public init(clock: any Clock<Duration>) {
        self.read = Self.start(clock)
    }

    /// Time since the stopwatch started, on its clock.
    public var elapsed: Duration { read() }

    private static func start<C: Clock<Duration>>(_ clock: C) -> @Sendable () -> Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }
}

extension Clock where Duration == Swift.Duration {
    /// `sleep(for:)` that returns at once for zero or negative durations.
    func pause(for duration: Duration) async throws {
        guard duration > .zero else { return }
        try await sleep(until: now.advanced(by: duration), tolerance: nil)
    }
}

/// Sleeps `duration` on an existential clock (throws `CancellationError` when cancelled).
public func sleep(for duration: Duration, on clock: any Clock<Duration>) async throws {
    try await clock.pause(for: duration)
}
