import Foundation
import Logging
import PodLauncher
import RunPodAPI
import Synchronization

/// What the leader knows about its pools between ticks that need not survive a restart or a failover (a new leader
/// is only more careful: idle clocks start again, the scale-down delay starts again): pods draining, each pool's last
/// decision and its last hour of demand and desired counts, the price seen. What every replica must see is in the
/// database (`PoolSharedState.swift`: lease requests waiting, and a copy of the last decision).
public final class PoolRuntime: Sendable {
    public struct Status: Sendable, Hashable, Codable {
        public var demand = PoolDemand(backlog: 0, inFlight: 0)
        public var decision = ScalingDecision(desired: 0, reason: "not evaluated yet")
        /// Why the pool's source could not be read (the count is held meanwhile); nil when healthy.
        public var degraded: String?
        public var podPricePerHour: Double?
        /// (time, demand, desired) once a tick, the last hour.
        public var history: [Sample] = []
        /// Pods chosen for removal that still have work: they take no new leases.
        public var draining: [String] = []
    }

    public struct Sample: Sendable, Hashable, Codable {
        public var at: Date
        public var demand: Int
        public var desired: Int
        public var pods: Int
    }

    struct PoolState {
        var status = Status()
        var gate = ScaleDownGate()
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

    /// The last tick's view of a pool, in this process (the leader's; every replica reads the stored copy,
    /// `LaunchStore.poolStatus`).
    func status(_ pool: String) -> Status { pools.withLock { $0[pool]?.status ?? Status() } }

    /// A lease request of `pool` found no free slot: the autoscaler is told at once (not at its next tick), so it can
    /// scale up for it when this replica leads.
    func noteWaiting(_ pool: String) { onWaiting.withLock { $0 }?(pool) }

    /// Sets what runs when a lease request of a pool starts waiting (the autoscaler).
    func whenWaiting(_ action: @escaping @Sendable (String) -> Void) { onWaiting.withLock { $0 = action } }

    /// Pods chosen for removal that still had work: they take no new leases.
    func draining(_ pool: String) -> Set<String> { pools.withLock { Set(($0[pool]?.drainingSince ?? [:]).keys) } }

    func update<T>(_ pool: String, _ body: (inout PoolState) -> T) -> T {
        pools.withLock { body(&$0[pool, default: PoolState()]) }
    }

    func forget(_ pool: String) { _ = pools.withLock { $0.removeValue(forKey: pool) } }
}
