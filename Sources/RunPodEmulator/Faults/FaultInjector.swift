import Foundation
import Synchronization

/// Decides, per request, which fault rules fire. Rules with `times` count down; rules with `probability` draw from a
/// seeded generator so a run repeats.
final class FaultInjector: Sendable {
    private let state: Mutex<(rules: [FaultRule], random: SeededRandom)>
    /// Requests between `draw` and their answer (or dropped connection), held ones included.
    private let inFlight = Mutex<Int>(0)

    init(rules: [FaultRule], seed: UInt64) {
        state = Mutex((rules, SeededRandom(seed: seed ^ 0xFA17)))
    }

    /// Replaces every rule.
    func set(_ rules: [FaultRule]) { state.withLock { $0.rules = rules } }

    /// The rules now in force (spent `times` rules drop out).
    func rules() -> [FaultRule] { state.withLock { $0.rules } }

    /// Counts a request as in flight while `body` runs, so a test can wait until a held request (latency, lost
    /// request) has been handled before it counts pods.
    func tracking<R>(_ body: () async throws -> R) async throws -> R {
        inFlight.withLock { $0 += 1 }
        defer { inFlight.withLock { $0 -= 1 } }
        return try await body()
    }

    /// Requests being handled now.
    var requestsInFlight: Int { inFlight.withLock { $0 } }

    /// The faults that hit a request for `operation` (or `alias`, e.g. GraphQL's root field), consuming their counts.
    func draw(operation: String, alias: String? = nil) -> [FaultKind] {
        state.withLock { state in
            guard !state.rules.isEmpty else { return [] }
            var fired: [FaultKind] = []
            var index = 0
            while index < state.rules.count {
                var rule = state.rules[index]
                let matches = rule.operation == nil || rule.operation == operation || (alias != nil && rule.operation == alias)
                guard matches else {
                    index += 1
                    continue
                }
                if let probability = rule.probability, Double.random(in: 0..<1, using: &state.random) >= probability {
                    index += 1
                    continue
                }
                fired.append(rule.kind)
                if let times = rule.times {
                    rule.times = times - 1
                    if times - 1 <= 0 {
                        state.rules.remove(at: index)
                        continue
                    }
                    state.rules[index] = rule
                }
                index += 1
            }
            return fired
        }
    }
}
