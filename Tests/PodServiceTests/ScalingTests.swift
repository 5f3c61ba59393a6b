import Foundation
import Testing

@testable import PodService

/// The desired-count rule as a table, and the scale-down gate against flapping.
@Suite struct ScalingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var why: String
        var min = 0
        var max = 10
        var perPod = 1
        var activation = 0
        var ceiling: Double?
        var price: Double? = 0.69
        var backlog: Int
        var inFlight = 0
        var current = 0
        var desired: Int
        var testDescription: String { why }
    }

    static let cases: [Case] = [
        Case(why: "no demand, no pods: zero", backlog: 0, desired: 0),
        Case(why: "one waiting, one per pod: one", backlog: 1, desired: 1),
        Case(why: "five waiting: five", backlog: 5, desired: 5),
        Case(why: "rounds up: 5 jobs at 2 per pod → 3", perPod: 2, backlog: 5, desired: 3),
        Case(why: "exact multiple: 6 jobs at 3 per pod → 2", perPod: 3, backlog: 6, desired: 2),
        Case(why: "in flight counts: 0 waiting, 3 running → 3", backlog: 0, inFlight: 3, current: 3, desired: 3),
        Case(why: "backlog and in flight add: 2 + 3 → 5", backlog: 2, inFlight: 3, current: 3, desired: 5),
        Case(why: "in flight at 4 per pod: 2 + 7 → 3", perPod: 4, backlog: 2, inFlight: 7, current: 2, desired: 3),
        Case(why: "capped by max", max: 3, backlog: 50, desired: 3),
        Case(why: "raised to min with no demand", min: 2, backlog: 0, desired: 2),
        Case(why: "min and demand: demand wins above min", min: 2, backlog: 4, desired: 4),
        Case(why: "min equals max", min: 3, max: 3, backlog: 0, desired: 3),
        Case(why: "activation: from zero, demand at the threshold stays zero", activation: 3, backlog: 3, desired: 0),
        Case(why: "activation: from zero, above the threshold scales", activation: 3, backlog: 4, desired: 4),
        Case(why: "activation does not apply above zero", activation: 3, backlog: 1, current: 2, desired: 1),
        Case(why: "activation counts in-flight work too", activation: 2, backlog: 1, inFlight: 2, desired: 3),
        Case(why: "activation with min: min still holds", min: 1, activation: 5, backlog: 2, desired: 1),
        Case(why: "cost ceiling caps: $2/h at $0.69 → 2", ceiling: 2.0, backlog: 10, desired: 2),
        Case(why: "cost ceiling exactly affordable: $1.38/h at $0.69 → 2", ceiling: 1.38, backlog: 10, desired: 2),
        Case(why: "cost ceiling below one pod → 0", ceiling: 0.5, backlog: 10, desired: 0),
        Case(why: "cost ceiling wins over min", min: 3, ceiling: 1.0, backlog: 0, desired: 1),
        Case(why: "cost ceiling above demand does nothing", ceiling: 100, backlog: 2, desired: 2),
        Case(why: "cost ceiling and max: the lower wins", max: 4, ceiling: 10, backlog: 50, desired: 4),
        Case(why: "unknown price with a ceiling: no pod", ceiling: 5, price: nil, backlog: 3, desired: 0),
        Case(why: "unknown price without a ceiling: demand", price: nil, backlog: 3, desired: 3),
        Case(why: "negative inputs count as zero", backlog: -4, inFlight: -1, desired: 0),
        Case(why: "scale down by demand: 1 job, 4 pods → 1", backlog: 0, inFlight: 1, current: 4, desired: 1),
        Case(why: "big per-pod concurrency: 1 job at 100 per pod → 1", perPod: 100, backlog: 1, desired: 1),
    ]

    @Test(arguments: cases)
    func desiredCount(_ c: Case) {
        let settings = PoolSettings(
            name: "p", min: c.min, max: c.max, perPodConcurrency: c.perPod, activationBacklog: c.activation, maxCostPerHour: c.ceiling)
        let decision = Scaling.desired(
            settings, demand: PoolDemand(backlog: c.backlog, inFlight: c.inFlight), current: c.current, podPricePerHour: c.price)
        #expect(decision.desired == c.desired, "\(decision.reason)")
        #expect(!decision.reason.isEmpty)
    }

    struct AddNow: CustomTestStringConvertible, Sendable {
        var why: String
        var max = 10
        var activation = 0
        var ceiling: Double?
        var waiting: Int
        var inFlight = 0
        var current: Int
        var add: Int
        var testDescription: String { why }
    }

    /// Between ticks, a lease request that starts waiting adds the pods the rule wants above the count, never removes.
    static let addNow: [AddNow] = [
        AddNow(why: "one waiting, every pod busy: one more", waiting: 1, inFlight: 3, current: 3, add: 1),
        AddNow(why: "three waiting, two busy of three: two more", waiting: 3, inFlight: 2, current: 3, add: 2),
        AddNow(why: "a pod already starting for it: none", waiting: 1, inFlight: 2, current: 3, add: 0),
        AddNow(why: "less demand than pods: none (removing is the tick's)", waiting: 1, inFlight: 0, current: 4, add: 0),
        AddNow(why: "from zero, above the activation backlog: scales", activation: 1, waiting: 2, current: 0, add: 2),
        AddNow(why: "from zero, at the activation backlog: stays at zero", activation: 2, waiting: 2, current: 0, add: 0),
        AddNow(why: "capped by max", max: 4, waiting: 5, inFlight: 3, current: 3, add: 1),
        AddNow(why: "at max: none", max: 3, waiting: 5, inFlight: 3, current: 3, add: 0),
        AddNow(why: "capped by the cost ceiling: $2/h at $0.69 → 2 pods", ceiling: 2.0, waiting: 4, inFlight: 1, current: 1, add: 1),
    ]

    @Test(arguments: addNow)
    func podsAddedAtOnceForAWaitingRequest(_ c: AddNow) {
        let settings = PoolSettings(name: "p", max: c.max, activationBacklog: c.activation, maxCostPerHour: c.ceiling)
        let add = Scaling.podsToAddNow(
            settings, demand: PoolDemand(backlog: c.waiting, inFlight: c.inFlight), current: c.current, podPricePerHour: 0.69)
        #expect(add == c.add)
    }

    @Test func scaleUpIsImmediateAndScaleDownWaitsForTheDelay() {
        var gate = ScaleDownGate()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(gate.target(desired: 5, current: 2, delay: 120, now: start) == 5)
        #expect(gate.target(desired: 1, current: 5, delay: 120, now: start.addingTimeInterval(10)) == 5)
        #expect(gate.target(desired: 1, current: 5, delay: 120, now: start.addingTimeInterval(129)) == 5)
        #expect(gate.target(desired: 1, current: 5, delay: 120, now: start.addingTimeInterval(130)) == 1)
        // Applied: the pool is at 1. A rise goes at once; a new drop waits the whole delay again.
        #expect(gate.target(desired: 2, current: 1, delay: 120, now: start.addingTimeInterval(200)) == 2)
        #expect(gate.target(desired: 1, current: 2, delay: 120, now: start.addingTimeInterval(202)) == 2)
        #expect(gate.target(desired: 2, current: 2, delay: 120, now: start.addingTimeInterval(250)) == 2)  // Back up: clock reset.
        #expect(gate.target(desired: 1, current: 2, delay: 120, now: start.addingTimeInterval(300)) == 2)
        #expect(gate.target(desired: 1, current: 2, delay: 120, now: start.addingTimeInterval(419)) == 2)
        #expect(gate.target(desired: 1, current: 2, delay: 120, now: start.addingTimeInterval(420)) == 1)
    }

    /// Demand oscillating across a boundary every tick for 10 minutes of emulated time changes the pod count at most
    /// once per scale-down delay.
    @Test func oscillatingDemandDoesNotFlap() {
        let settings = PoolSettings(name: "p", max: 10, perPodConcurrency: 2, scaleDownDelaySeconds: 120)
        var gate = ScaleDownGate()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var pods = 0
        var changes: [TimeInterval] = []
        for tick in 0..<300 {
            let now = start.addingTimeInterval(Double(tick) * 2)
            let backlog = tick.isMultiple(of: 2) ? 5 : 4  // 3 pods, then 2 pods, every other tick.
            let decision = Scaling.desired(settings, demand: PoolDemand(backlog: backlog, inFlight: 0), current: pods, podPricePerHour: 0.69)
            let target = gate.target(desired: decision.desired, current: pods, delay: TimeInterval(settings.scaleDownDelaySeconds), now: now)
            if target != pods {
                changes.append(Double(tick) * 2)
                pods = target
            }
        }
        #expect(changes == [0])  // Up to 3 at once, and never down: the lower desire never holds for 120 s.
        #expect(pods == 3)
    }
}
