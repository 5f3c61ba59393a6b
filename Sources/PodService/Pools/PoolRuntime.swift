import Foundation
import Logging
import PodLauncher
import RunPodAPI
import Synchronization

/// What the service knows about its pools between ticks that need not survive a restart (a restart only makes it
/// more careful: idle clocks start again, the scale-down delay starts again): lease requests waiting, pods draining,
/// each pool's last decision and its last hour of demand and desired counts.
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
        var waiting = 0
        var idleSince: [String: Date] = [:]
        var drainingSince: [String: Date] = [:]
        var price: (value: Double, at: Date)?
        /// The dearest rate a pod of this pool has had since the start: one that landed on a dearer GPU than expected
        /// keeps the ceiling check honest after it is gone (else the pool would create and trim it again and again).
        var dearestSeen: Double?
    }

    private let pools = Mutex<[String: PoolState]>([:])

    public init() {}

    /// The last tick's view of a pool.
    public func status(_ pool: String) -> Status { pools.withLock { $0[pool]?.status ?? Status() } }

    /// Lease requests waiting on `pool` now (they count as demand).
    public func waiting(_ pool: String) -> Int { pools.withLock { $0[pool]?.waiting ?? 0 } }

    /// Runs `body` while counting one more lease request waiting on `pool`.
    func whileWaiting<T: Sendable>(_ pool: String, _ body: () async throws -> T) async rethrows -> T {
        pools.withLock { $0[pool, default: PoolState()].waiting += 1 }
        defer { pools.withLock { $0[pool, default: PoolState()].waiting -= 1 } }
        return try await body()
    }

    /// Pods chosen for removal that still had work: they take no new leases.
    func draining(_ pool: String) -> Set<String> { pools.withLock { Set(($0[pool]?.drainingSince ?? [:]).keys) } }

    func update<T>(_ pool: String, _ body: (inout PoolState) -> T) -> T {
        pools.withLock { body(&$0[pool, default: PoolState()]) }
    }

    func forget(_ pool: String) { _ = pools.withLock { $0.removeValue(forKey: pool) } }
}
