import Foundation
import Logging
import PodLauncher
import RunPodAPI
import Synchronization

/// What the service knows about its pools between ticks that need not survive a restart (a restart only makes it
/// more careful: idle clocks start again, the scale-down delay starts again): lease requests waiting (in arrival
/// order), pods draining, each pool's last decision and its last hour of demand and desired counts.
public final class PoolRuntime: Sendable {
    public struct Status: Sendable, Hashable {
        public var demand = PoolDemand(backlog: 0, inFlight: 0)
        public var decision = ScalingDecision(desired: 0, reason: "not evaluated yet")
        /// Why the pool's source could not be read (the count is held meanwhile); nil when healthy.
        public var degraded: String?
        public var podPricePerHour: Double?
        /// (time, demand, desired) once a tick, the last hour.
        public var history: [Sample] = []
    }

    public struct Sample: Sendable, Hashable {
        public var at: Date
        public var demand: Int
        public var desired: Int
        public var pods: Int
    }

    struct PoolState {
        var status = Status()
        var gate = ScaleDownGate()
        /// Lease requests in arrival order: only the first may take a slot (FIFO), so a request never loses the pod
        /// started for it to a later one.
        var queue: [LeaseWaiter] = []
        var nextTicket: UInt64 = 0
        /// The pool's source as last read by a tick (a scale-up between ticks does not read a remote source again).
        var sourceBacklog = 0
        var idleSince: [String: Date] = [:]
        var drainingSince: [String: Date] = [:]
        var price: (value: Double, at: Date)?
        /// The dearest rate a pod of this pool has had since the start: one that landed on a dearer GPU than expected
        /// keeps the ceiling check honest after it is gone (else the pool would create and trim it again and again).
        var dearestSeen: Double?
    }

    private let pools = Mutex<[String: PoolState]>([:])
    /// Told when a lease request of a pool finds no free slot (the autoscaler scales up for it at once).
    private let onWaiting = Mutex<(@Sendable (String) -> Void)?>(nil)

    public init() {}

    /// The last tick's view of a pool.
    public func status(_ pool: String) -> Status { pools.withLock { $0[pool]?.status ?? Status() } }

    /// Lease requests waiting on `pool` now (they count as demand): those in its queue that found no free slot.
    public func waiting(_ pool: String) -> Int { pools.withLock { $0[pool]?.queue.count(where: \.waiting) ?? 0 } }

    /// One lease request in a pool's queue.
    struct LeaseWaiter {
        var ticket: UInt64
        /// It found no free slot at once, and counts as demand.
        var waiting = false
        /// Told when it reaches the head of the queue.
        var wake: AsyncStream<Void>.Continuation
    }

    /// Puts a lease request at the back of `pool`'s queue; its stream says "look again" when it becomes first.
    func enqueue(_ pool: String) -> (ticket: UInt64, wakes: AsyncStream<Void>) {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let ticket = pools.withLock { pools in
            pools[pool, default: PoolState()].nextTicket += 1
            let ticket = pools[pool, default: PoolState()].nextTicket
            pools[pool, default: PoolState()].queue.append(LeaseWaiter(ticket: ticket, wake: wake))
            return ticket
        }
        return (ticket, wakes)
    }

    /// True when `ticket` is the oldest lease request of `pool`: the only one that may take a slot now.
    func isFirst(_ pool: String, ticket: UInt64) -> Bool { pools.withLock { $0[pool]?.queue.first?.ticket == ticket } }

    /// The request found no free slot: from now on it counts as demand, and the pool is told at once (not at its next
    /// tick) so it can scale up for it.
    func markWaiting(_ pool: String, ticket: UInt64) {
        pools.withLock { pools in
            guard let index = pools[pool]?.queue.firstIndex(where: { $0.ticket == ticket }) else { return }
            pools[pool]?.queue[index].waiting = true
        }
        onWaiting.withLock { $0 }?(pool)
    }

    /// Sets what runs when a lease request of a pool starts waiting (the autoscaler).
    func whenWaiting(_ action: @escaping @Sendable (String) -> Void) { onWaiting.withLock { $0 = action } }

    /// Takes the request out of the queue (served, timed out or gone) and wakes the one now first, which may take
    /// the next free slot at once.
    func leave(_ pool: String, ticket: UInt64) {
        let (mine, next) = pools.withLock { pools -> (AsyncStream<Void>.Continuation?, AsyncStream<Void>.Continuation?) in
            guard let index = pools[pool]?.queue.firstIndex(where: { $0.ticket == ticket }) else { return (nil, nil) }
            let mine = pools[pool]?.queue.remove(at: index).wake
            return (mine, index == 0 ? pools[pool]?.queue.first?.wake : nil)
        }
        mine?.finish()
        next?.yield()
    }

    /// Pods chosen for removal that still had work: they take no new leases.
    func draining(_ pool: String) -> Set<String> { pools.withLock { Set(($0[pool]?.drainingSince ?? [:]).keys) } }

    func update<T>(_ pool: String, _ body: (inout PoolState) -> T) -> T {
        pools.withLock { body(&$0[pool, default: PoolState()]) }
    }

    func forget(_ pool: String) { _ = pools.withLock { $0.removeValue(forKey: pool) } }
}
