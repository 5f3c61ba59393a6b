import Foundation
import RunPodAPI
import Synchronization

/// A clock whose sleeps return at once and move its time forward, recording each sleep.
final class SkippingClockState: Sendable {
    let now = Mutex<Duration>(.zero)
    let sleeps = Mutex<[Duration]>([])
}

struct SkippingClock: Clock {
    typealias Duration = Swift.Duration
    struct Instant: InstantProtocol {
        var offset: Swift.Duration
        func advanced(by duration: Swift.Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Swift.Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    let state = SkippingClockState()
    var now: Instant { Instant(offset: state.now.withLock { $0 }) }
    var minimumResolution: Swift.Duration { .zero }

    func sleep(until deadline: Instant, tolerance: Swift.Duration?) async throws {
        try Task.checkCancellation()
        state.now.withLock { now in
            let slept = deadline.offset - now
            state.sleeps.withLock { $0.append(slept) }
            if deadline.offset > now { now = deadline.offset }
        }
        await Task.yield()
    }

    var sleeps: [Swift.Duration] { state.sleeps.withLock { $0 } }
    var totalSlept: Swift.Duration { sleeps.reduce(.zero, +) }
}
