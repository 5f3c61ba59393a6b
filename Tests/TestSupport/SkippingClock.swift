import Foundation
import Synchronization

/// The shared, mutable part of a ``SkippingClock``: its current time and the sleeps it was asked for.
public final class SkippingClockState: Sendable {
    /// The clock's current offset from its start.
    public let now = Mutex<Duration>(.zero)
    /// Every sleep requested, in order.
    public let sleeps = Mutex<[Duration]>([])
}

/// A clock whose sleeps return at once and move its time forward, recording each sleep.
///
/// Tests of retry and poll schedules use it to run minutes of backoff in microseconds and assert the delays asked for.
public struct SkippingClock: Clock {
    public typealias Duration = Swift.Duration
    /// A point in the clock's time: an offset from its start.
    public struct Instant: InstantProtocol {
        /// The offset from the clock's start.
        public var offset: Swift.Duration
        /// Creates an instant at `offset` from the clock's start.
        public init(offset: Swift.Duration) { self.offset = offset }
        public func advanced(by duration: Swift.Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Swift.Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    /// Shared by copies of this clock.
    public let state = SkippingClockState()
    /// Creates a clock at offset zero.
    public init() {}
    public var now: Instant { Instant(offset: state.now.withLock { $0 }) }
    public var minimumResolution: Swift.Duration { .zero }

    public func sleep(until deadline: Instant, tolerance: Swift.Duration?) async throws {
        try Task.checkCancellation()
        state.now.withLock { now in
            let slept = deadline.offset - now
            state.sleeps.withLock { $0.append(slept) }
            if deadline.offset > now { now = deadline.offset }
        }
        await Task.yield()
    }

    /// Every sleep requested, in order.
    public var sleeps: [Swift.Duration] { state.sleeps.withLock { $0 } }
    /// The sum of all sleeps requested.
    public var totalSlept: Swift.Duration { sleeps.reduce(.zero, +) }
}
