import Foundation
import Synchronization

/// The emulator's source of "now". Pod states are derived from it lazily, so a test clock needs no sleeping.
public protocol EmulatorClock: Sendable {
    /// The current wall-clock time as the emulator sees it.
    var now: Date { get }
}

/// The real clock.
public struct SystemEmulatorClock: EmulatorClock {
    /// Creates the real clock.
    public init() {}
    /// `Date()`.
    public var now: Date { Date() }
}

/// A clock that only moves when told to, for tests that want exact control over pod state.
public final class ManualEmulatorClock: EmulatorClock {
    private let current: Mutex<Date>

    /// Starts at `start`.
    public init(start: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        current = Mutex(start)
    }

    /// The time the clock has been set to.
    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.addingTimeInterval(duration.seconds) }
    }
}

extension Duration {
    /// The duration as fractional seconds.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
