import Foundation
import Logging
import PodLauncher
import RunPodAPI
import Synchronization

/// Scales each pool once a tick: reads its demand (lease requests waiting, its source, held leases and the ComfyUI
/// queues of its pods), decides the desired count (`Scaling`), and acts on launch rows — a new `pending` launch to
/// scale up, a compare-and-set to `terminating` to scale down — which the reconciler then carries out like any
/// other. It never terminates a pod that holds a lease or whose ComfyUI queue is not empty (or could not be read):
/// such a pod drains (no new leases) until it is idle. Between ticks, a lease request that finds no free slot scales
/// its pool up at once (`scaleUpForWaiting`), instead of waiting up to a tick for the next decision.
final class Autoscaler: Sendable {
    let store: LaunchStore
    let launcher: RunPodLauncher
    let intake: LaunchIntake
    let runtime: PoolRuntime
    let sources: DemandSources
    let logger: Logger
    let now: @Sendable () -> Date
    /// Only the leader scales (a follower's waiting lease requests reach it through the database).
    let leadership: Leadership
    /// One decision at a time: a tick and a scale-up for a waiting request never both count the same pods and create.
    private let deciding = SerialLock()
    /// Pools with a scale-up for waiting requests scheduled and not started: later requests share it.
    private let scheduled = Mutex<Set<String>>([])

    init(
        store: LaunchStore, launcher: RunPodLauncher, intake: LaunchIntake, runtime: PoolRuntime, sources: DemandSources, logger: Logger,
        now: @escaping @Sendable () -> Date, leadership: Leadership = .sole
    ) {
        self.leadership = leadership
        self.store = store
        self.launcher = launcher
        self.intake = intake
        self.runtime = runtime
        self.sources = sources
        self.logger = logger
        self.now = now
        runtime.whenWaiting { [weak self] pool in self?.scaleUpSoon(pool) }
    }

    /// One pass over every pool. Never throws: a pool that fails is logged and tried next tick.
    func tick() async {
        let pools: [StoredPool]
        do {
            pools = try await store.pools()
        } catch {
            logger.warning("reading pools failed", metadata: ["error": "\(Reconciler.describe(error))"])
            return
        }
        for pool in pools {
            do {
                try await deciding.run { try await scale(pool) }
            } catch {
                logger.warning("scaling a pool failed", metadata: ["pool": "\(pool.settings.name)", "error": "\(Reconciler.describe(error))"])
            }
        }
    }

    /// A lease request of `pool` found no free slot: scale up for it now ("above zero at once"), not at the next tick.
    /// Requests that start waiting while one is scheduled share it.
    func scaleUpSoon(_ pool: String) {
        guard leadership.isLeader else { return }  // The leader sees the request at its next tick.
        guard scheduled.withLock({ $0.insert(pool).inserted }) else { return }
        Task {
            do {
                try await deciding.run {
                    scheduled.withLock { _ = $0.remove(pool) }
                    try await scaleUpForWaiting(pool)
                }
            } catch {
                logger.warning("scaling up for a waiting lease failed", metadata: ["pool": "\(pool)", "error": "\(Reconciler.describe(error))"])
            }
        }
    }

    /// Adds the pods the desired rule wants above the pool's count, from what is known without a tick's slower reads:
    /// lease requests waiting, the source as the last tick read it, and held leases as the work in flight (a ComfyUI
    /// queue's jobs without a lease are left to the tick: this only ever counts less, so it never adds more than a tick
    /// would). It never removes a pod.
    private func scaleUpForWaiting(_ name: String) async throws {
        guard let pool = try await store.pool(named: name), !pool.deleting else { return }
        let settings = pool.settings
        let active = try await store.poolLaunches(name).filter { $0.state != .terminating }
        let ids = Set(active.map(\.id))
        let inFlight = try await store.heldLeases(pool: name).count { ids.contains($0.launchID) }
        let source = runtime.update(name) { $0.sourceBacklog }
        let demand = PoolDemand(backlog: try await store.waitingLeaseRequests(pool: name) + source, inFlight: inFlight)
        let price = try await podPrice(settings, launches: active)
        let add = Scaling.podsToAddNow(settings, demand: demand, current: active.count, podPricePerHour: price)
        guard add > 0 else { return }
        try await scaleUp(settings, by: add, active: active, price: price)
    }

    /// One pod of the pool as the tick sees it.
    struct Member {
        var launch: Launch
        var leases: Int
        /// Jobs running or pending in its ComfyUI queue; nil when the queue could not be read (counts as busy).
        var queued: Int?
        var isReady: Bool { launch.state == .ready }
        var isIdle: Bool { leases == 0 && queued == 0 }
    }

    /// Decides and acts for one pool, then records the decision for every replica to show.
    private func scale(_ pool: StoredPool) async throws {
        guard try await decide(pool) else { return }
        var status = runtime.status(pool.settings.name)
        status.draining = runtime.draining(pool.settings.name).sorted()
        try await store.putPoolStatus(pool.settings.name, status)
    }

    /// One pool's tick; false when the pool is gone.
    private func decide(_ pool: StoredPool) async throws -> Bool {
        let settings = pool.settings
        let name = settings.name
        let now = now()
        let launches = try await store.poolLaunches(name)
        let active = launches.filter { $0.state != .terminating }
        let leases = try await store.heldLeases(pool: name)
        let members = await members(active, leases: leases)
        if pool.deleting && launches.isEmpty {
            try await store.removePool(name)
            runtime.forget(name)
            logger.notice("pool deleted", metadata: ["pool": "\(name)"])
            return false
        }

        // Demand: lease requests waiting + the source; work in flight per pod is its leases or its queue, whichever
        // is larger (a worker holding a lease has usually put its job in that queue: counting both would double it).
        var degraded: String?
        var sourceBacklog = 0
        do {
            sourceBacklog = try await sources.backlog(of: settings)
        } catch {
            degraded = Reconciler.describe(error)
        }
        runtime.update(name) { $0.sourceBacklog = sourceBacklog }
        let waiting = try await store.waitingLeaseRequests(pool: name)
        let inFlight = members.reduce(0) { $0 + max($1.leases, $1.queued ?? 0) }
        let demand = PoolDemand(backlog: waiting + sourceBacklog, inFlight: inFlight)
        let price = try await podPrice(settings, launches: active)
        var decision = Scaling.desired(settings, demand: demand, current: active.count, podPricePerHour: price)
        if degraded != nil && decision.desired < active.count {
            decision = ScalingDecision(desired: active.count, reason: "source failing: holding \(active.count) pods (\(decision.reason))")
        }
        var target = runtime.update(name) { state in
            state.gate.target(desired: decision.desired, current: active.count, delay: TimeInterval(settings.scaleDownDelaySeconds), now: now)
        }
        if pool.deleting {
            target = 0
            decision = ScalingDecision(desired: 0, reason: "pool being deleted: draining every pod")
        }
        runtime.update(name) { state in
            state.status.demand = demand
            state.status.decision = decision
            state.status.degraded = degraded
            state.status.podPricePerHour = price
            state.status.history.append(.init(at: now, demand: demand.total, desired: decision.desired, pods: active.count))
            state.status.history.removeAll { now.timeIntervalSince($0.at) > 3600 }
        }

        if try await trimToCeiling(settings, members: members) { return true }
        if target > active.count && !pool.deleting {
            try await scaleUp(settings, by: target - active.count, active: active, price: price)
        } else if target < active.count {
            try await scaleDown(settings, members: members, to: target, now: now, force: pool.deleting)
        }
        try await endIdle(settings, members: members, desired: decision.desired, now: now)
        return true
    }

    /// Each active pod with its held leases and its ComfyUI queue (read through the proxy; ready pods only).
    private func members(_ active: [Launch], leases: [Lease]) async -> [Member] {
        var counts: [String: Int] = [:]
        for lease in leases { counts[lease.launchID, default: 0] += 1 }
        let held = counts
        return await withTaskGroup(of: Member.self) { group in
            for launch in active {
                group.addTask {
                    let queued = launch.state == .ready ? await ComfyQueue.depth(of: launch) : 0
                    return Member(launch: launch, leases: held[launch.id] ?? 0, queued: queued)
                }
            }
            var members: [Member] = []
            for await member in group { members.append(member) }
            return members.sorted { ($0.launch.createdAt, $0.launch.id) < ($1.launch.createdAt, $1.launch.id) }
        }
    }

    private func scaleUp(_ settings: PoolSettings, by count: Int, active: [Launch], price: Double?) async throws {
        var spend = active.reduce(0.0) { $0 + ($1.costPerHour ?? price ?? 0) }
        for _ in 0..<count {
            // The ceiling is checked before every create, with the pods already live at their real rates.
            if let ceiling = settings.maxCostPerHour {
                guard let price, spend + price <= ceiling + 1e-9 else {
                    logger.info("cost ceiling reached; not creating", metadata: ["pool": "\(settings.name)"])
                    return
                }
            }
            let plan = try intake.plan(for: LaunchRequest(profile: settings.profile))
            var record = plan.record
            let name = "\(settings.name)-\(PodIdentity.randomHex(6))"
            record.spec.name = name
            let launch = Launch(id: Launch.newID(), name: name, plan: record, createdAt: now(), pool: settings.name)
            _ = try await store.create(launch)
            spend += price ?? 0
            logger.info("scaling up", metadata: ["pool": "\(settings.name)", "launch.id": "\(launch.id)"])
        }
    }

    /// Removes pods down to `target`: not-ready ones first (newest first), then idle ready ones (oldest idle first).
    /// A busy pod is drained instead (no new leases) and removed once idle, or at its drain timeout when the pool says so.
    private func scaleDown(_ settings: PoolSettings, members: [Member], to target: Int, now: Date, force: Bool) async throws {
        var excess = members.count - target
        let notReady = members.filter { !$0.isReady }.sorted { $0.launch.createdAt > $1.launch.createdAt }
        let idle = members.filter { $0.isReady && $0.isIdle }
        let busy = members.filter { $0.isReady && !$0.isIdle }
        for member in notReady + idle where excess > 0 {
            try await end(member.launch, reason: "scaled down")
            excess -= 1
        }
        for member in busy where excess > 0 {
            let since = runtime.update(settings.name) { state -> Date in
                let since = state.drainingSince[member.launch.id] ?? now
                state.drainingSince[member.launch.id] = since
                return since
            }
            let timedOut = now.timeIntervalSince(since) >= TimeInterval(settings.drainTimeoutSeconds)
            if timedOut && settings.drainTimeoutAction == .terminate && (member.leases == 0 || force) {
                try await end(member.launch, reason: "drain timed out")
            }
            excess -= 1
        }
    }

    /// The ceiling is checked before each create with the dearest rate known; a pod that landed on a dearer GPU than
    /// that can still push the pool over it. Then the newest pods that are not ready, or ready and idle, go until the
    /// pool's real rate is under the ceiling again (a busy pod never goes). True when it ended any.
    private func trimToCeiling(_ settings: PoolSettings, members: [Member]) async throws -> Bool {
        guard let ceiling = settings.maxCostPerHour else { return false }
        var spend = members.reduce(0.0) { $0 + ($1.launch.costPerHour ?? 0) }
        guard spend > ceiling + 1e-9 else { return false }
        var ended = false
        let removable = members.filter { !$0.isReady || $0.isIdle }.sorted { $0.launch.createdAt > $1.launch.createdAt }
        for member in removable where spend > ceiling + 1e-9 {
            try await end(member.launch, reason: "over maxCostPerHour at its real rate")
            spend -= member.launch.costPerHour ?? 0
            ended = true
        }
        return ended
    }

    /// A ready pod idle (no lease, empty queue) for `idleTimeoutSeconds` is terminated while the pool has more pods
    /// than its desired count and its `min`.
    private func endIdle(_ settings: PoolSettings, members: [Member], desired: Int, now: Date) async throws {
        var count = members.count
        let idleSince = runtime.update(settings.name) { state -> [String: Date] in
            let live = Set(members.map(\.launch.id))
            state.idleSince = state.idleSince.filter { live.contains($0.key) }
            state.drainingSince = state.drainingSince.filter { live.contains($0.key) }
            for member in members {
                if member.isReady && member.isIdle {
                    state.idleSince[member.launch.id] = state.idleSince[member.launch.id] ?? now
                } else {
                    state.idleSince[member.launch.id] = nil
                }
            }
            return state.idleSince
        }
        let floor = max(settings.min, desired)
        for member in members where count > floor {
            guard let since = idleSince[member.launch.id], now.timeIntervalSince(since) >= TimeInterval(settings.idleTimeoutSeconds) else {
                continue
            }
            try await end(member.launch, reason: "idle for \(settings.idleTimeoutSeconds) s")
            count -= 1
        }
    }

    private func end(_ launch: Launch, reason: String) async throws {
        var next = launch
        next.state = .terminating
        if try await store.update(next) != nil {
            logger.info("scaling down", metadata: ["pool": "\(launch.pool ?? "")", "launch.id": "\(launch.id)", "why": "\(reason)"])
        }
    }

    /// What one more pod would cost per hour: the dearest rate a pod of the pool has had, else the catalog's price of
    /// the dearest GPU type in its priority list (so the ceiling is never exceeded by a cheaper guess; cached 10 min).
    private func podPrice(_ settings: PoolSettings, launches: [Launch]) async throws -> Double? {
        let known = launches.compactMap(\.costPerHour).max() ?? 0
        let dearest = runtime.update(settings.name) { state -> Double in
            state.dearestSeen = max(state.dearestSeen ?? 0, known)
            return state.dearestSeen ?? 0
        }
        if dearest > 0 { return dearest }
        let now = now()
        if let cached = runtime.update(settings.name, { $0.price }), now.timeIntervalSince(cached.at) < 600 { return cached.value }
        guard let plan = try? intake.plan(for: LaunchRequest(profile: settings.profile)) else { return nil }
        let spec = plan.record.spec
        let types = try await launcher.client.listGPUTypes(count: spec.gpuCount)
        let prices = types.filter { spec.gpuTypeIDs.contains($0.id) }.map { type in
            (spec.cloudType == .community ? type.price.community : type.price.secure) * Double(spec.gpuCount)
        }
        guard let price = prices.max(), price > 0 else { return nil }
        runtime.update(settings.name) { $0.price = (price, now) }
        return price
    }
}

/// A ComfyUI pod's queue: `GET /queue` → `queue_running` + `queue_pending`.
enum ComfyQueue {
    /// The jobs running or pending on a ready launch's app; nil when it could not be read.
    static func depth(of launch: Launch, transport: any HTTPTransport = AsyncHTTPClientTransport()) async -> Int? {
        guard let base = launch.urls?.sorted(by: { $0.key < $1.key }).first?.value, let url = URL(string: base + "/queue") else { return nil }
        guard let response = try? await transport.send(HTTPRequest(method: "GET", url: url, timeout: .seconds(3))),
            response.status == 200,
            let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        else { return nil }
        let running = (object["queue_running"] as? [Any])?.count
        let pending = (object["queue_pending"] as? [Any])?.count
        guard let running, let pending else { return nil }
        return running + pending
    }
}

/// Reads a pool's backlog from its source.
public struct DemandSources: Sendable {
    let store: LaunchStore

    public init(store: LaunchStore) { self.store = store }

    func backlog(of settings: PoolSettings) async throws -> Int {
        switch settings.source.source {
        case .leases: return 0
        case .push: return try await store.pushedDemand(pool: settings.name) ?? 0
        case .httpJSON, .prometheus, .redis, .postgres:
            guard let source = settings.source.makeSource() else { return 0 }
            return try await source.backlog()
        }
    }
}
