import Synchronization

/// Log streams the emulator cuts on purpose after a number of events, to test clients' `Last-Event-ID` resume
/// (`RunningEmulator.dropLogStreams(afterEvents:times:)`).
final class LogStreamDrops: Sendable {
    private struct Rule {
        var afterEvents: Int
        var remaining: Int
    }

    private let rules = Mutex<[Rule]>([])

    /// The next `times` log streams opened are cut after `afterEvents` events each.
    func add(afterEvents: Int, times: Int) {
        guard times > 0 else { return }
        rules.withLock { $0.append(Rule(afterEvents: max(0, afterEvents), remaining: times)) }
    }

    /// For a stream being opened: after how many events to cut it, or nil to leave it alone. Spends one use.
    func take() -> Int? {
        rules.withLock { rules in
            guard let index = rules.indices.first else { return nil }
            let after = rules[index].afterEvents
            rules[index].remaining -= 1
            if rules[index].remaining <= 0 { rules.remove(at: index) }
            return after
        }
    }
}

/// Thrown from a log stream's body after the emulator closed its connection on purpose.
struct DroppedLogStream: Error {}
