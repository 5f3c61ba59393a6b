import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PodLauncher

/// `/v1/pools` and `/v1/leases`: pools declared over the API, their status, pushed demand, and the leases workers
/// take on their pods.
enum PoolRoutes {
    static let maxLeaseTTL = 86_400
    static let maxLeaseWait = 300

    static func add(to v1: RouterGroup<BasicRequestContext>, service: ServiceContext) {
        v1.get("pools") { _, _ in
            let pools = try await service.store.pools()
            var views: [[String: Any]] = []
            for pool in pools { views.append(try await view(pool, service: service)) }
            return json(["pools": views])
        }
        v1.get("pools/:name") { _, context in
            let pool = try await existing(context, service: service)
            return json(try await view(pool, service: service))
        }
        v1.put("pools/:name") { request, context in
            let name = context.parameters.get("name") ?? ""
            let body = try await request.body.collect(upTo: ServiceAPI.maxBody)
            let settings = try PoolBody.settings(name: name, body: body)
            if let profile = settings.profile, service.intake.profiles?.profiles.contains(where: { $0.name == profile }) != true {
                throw Problem.validation([.pointer("#/profile", "is not a profile of the service's profiles file")])
            }
            let created: Bool
            do {
                created = try await service.store.putPool(settings, origin: "api")
            } catch let error as StoreError {
                throw Problem(status: .conflict, detail: error.description)
            }
            guard let stored = try await service.store.pool(named: name) else { throw Problem.notFound("No pool named \(name).") }
            return json(try await view(stored, service: service), status: created ? .created : .ok)
        }
        v1.delete("pools/:name") { _, context in
            let pool = try await existing(context, service: service)
            _ = try await service.store.markPoolDeleting(pool.settings.name)
            guard let stored = try await service.store.pool(named: pool.settings.name) else { return json([:], status: .accepted) }
            return json(try await view(stored, service: service), status: .accepted)
        }
        v1.put("pools/:name/demand") { request, context in
            let pool = try await existing(context, service: service)
            var fields = try BodyFields(try await request.body.collect(upTo: ServiceAPI.maxBody), known: ["backlog", "ttlSeconds"])
            let backlog = fields.int("backlog", in: 0...1_000_000, required: true)
            var defaultTTL = 60
            if case .push(let ttl) = pool.settings.source.source { defaultTTL = Int(ttl.components.seconds) }
            let ttl = fields.int("ttlSeconds", in: 1...86_400) ?? defaultTTL
            try fields.check()
            guard let backlog else { throw Problem.validation(fields.errors) }
            try await service.store.pushDemand(pool: pool.settings.name, backlog: backlog, ttl: TimeInterval(ttl))
            return json(["pool": pool.settings.name, "backlog": backlog, "ttlSeconds": ttl])
        }
        v1.post("pools/:name/leases") { request, context in
            let pool = try await existing(context, service: service)
            var fields = try BodyFields(try await request.body.collect(upTo: ServiceAPI.maxBody), known: ["ttlSeconds", "waitSeconds"])
            let ttl = fields.int("ttlSeconds", in: 1...maxLeaseTTL) ?? 900
            let wait = fields.int("waitSeconds", in: 0...maxLeaseWait) ?? 300
            try fields.check()
            guard !pool.deleting else { throw Problem(status: .conflict, detail: "Pool \(pool.settings.name) is being deleted.") }
            guard let lease = try await Leasing.acquire(pool.settings, ttl: ttl, wait: wait, service: service) else {
                var problem = Problem.unavailable(
                    "No pod of pool \(pool.settings.name) had a free slot within \(wait) s; the pool is scaling up.", retryAfter: 5)
                problem.title = "No pod available"
                throw problem
            }
            return json(try await leaseView(lease, service: service), status: .created)
        }
        v1.post("leases/:id/renew") { request, context in
            let id = context.parameters.get("id") ?? ""
            var fields = try BodyFields(try await request.body.collect(upTo: ServiceAPI.maxBody), known: ["ttlSeconds"])
            let ttl = fields.int("ttlSeconds", in: 1...maxLeaseTTL) ?? 900
            try fields.check()
            guard let lease = try await service.store.renewLease(id: id, ttl: TimeInterval(ttl)) else {
                throw Problem.notFound("No held lease \(id) (unknown, released or expired).")
            }
            return json(try await leaseView(lease, service: service))
        }
        v1.delete("leases/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard try await service.store.releaseLease(id: id) != nil else { throw Problem.notFound("No lease \(id).") }
            return Response(status: .noContent)
        }
    }

    private static func existing(_ context: BasicRequestContext, service: ServiceContext) async throws -> StoredPool {
        let name = context.parameters.get("name") ?? ""
        guard PoolSettings.isValidName(name), let pool = try await service.store.pool(named: name) else {
            throw Problem.notFound("No pool named \(name).")
        }
        return pool
    }

    static func view(_ pool: StoredPool, service: ServiceContext) async throws -> [String: Any] {
        let settings = pool.settings
        let launches = try await service.store.poolLaunches(settings.name)
        let leases = try await service.store.heldLeases(pool: settings.name)
        var byState: [String: Int] = [:]
        for state in LaunchState.live { byState[state.rawValue] = 0 }
        for launch in launches { byState[launch.state.rawValue, default: 0] += 1 }
        let status = try await service.store.poolStatus(settings.name) ?? PoolRuntime.Status()
        let now = service.now()
        return [
            "name": settings.name, "origin": pool.origin, "deleting": pool.deleting, "settings": PoolBody.json(settings),
            "pods": byState, "leases": leases.count, "waiting": try await service.store.waitingLeaseRequests(pool: settings.name),
            "demand": ["backlog": status.demand.backlog, "inFlight": status.demand.inFlight],
            "desired": status.decision.desired, "reason": status.decision.reason, "degraded": status.degraded ?? NSNull(),
            "costPerHour": launches.reduce(0.0) { $0 + ($1.state == .terminating ? 0 : $1.costPerHour ?? 0) },
            "costSoFar": launches.reduce(0.0) { $0 + $1.cost(at: now) },
        ]
    }

    static func leaseView(_ lease: Lease, service: ServiceContext) async throws -> [String: Any] {
        let launch = try await service.store.launch(id: lease.launchID)
        let urls = (launch?.urls ?? [:]).reduce(into: [String: String]()) { $0[String($1.key)] = $1.value }
        return [
            "id": lease.id, "pool": lease.pool, "launchId": lease.launchID, "podId": launch?.podID ?? NSNull(), "urls": urls,
            "expiresAt": LaunchView.timestamp(lease.expiresAt),
        ]
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Taking a lease: the least loaded ready pod with a free slot; otherwise the request waits (and counts as demand, so an
/// empty pool scales up from zero) until a slot opens or `wait` seconds pass. Requests are served in arrival order
/// (FIFO) across every replica: each request is a row of `lease_requests`, and only the oldest of a pool may take a
/// slot, so a later request never takes the pod started for an earlier one, and a new request does not jump the queue.
enum Leasing {
    static func acquire(_ settings: PoolSettings, ttl: Int, wait: Int, service: ServiceContext) async throws -> Lease? {
        let ticket = PodIdentity.randomHex(16)
        let changes = service.store.changes.subscribe()  // Before the first look: a change between the two is not missed.
        try await service.store.enqueueLeaseRequest(pool: settings.name, id: ticket, waitSeconds: wait)
        let lease: Lease?
        do {
            lease = try await queued(settings, ticket: ticket, ttl: ttl, wait: wait, changes: changes, service: service)
        } catch {
            try? await service.store.leaveLeaseRequest(id: ticket)
            throw error
        }
        try await service.store.leaveLeaseRequest(id: ticket)
        return lease
    }

    private static func queued(
        _ settings: PoolSettings, ticket: String, ttl: Int, wait: Int, changes: AsyncStream<Int64>, service: ServiceContext
    ) async throws -> Lease? {
        let pool = settings.name
        @Sendable func look() async throws -> Lease? {
            guard try await service.store.isFirstLeaseRequest(pool: pool, id: ticket) else { return nil }
            return try await attempt(settings, ttl: ttl, service: service)
        }
        if let lease = try await look() { return lease }
        guard wait > 0 else { return nil }
        try await service.store.markLeaseRequestWaiting(id: ticket)
        service.pools.noteWaiting(pool)
        return try await withThrowingTaskGroup(of: Lease?.self) { group in
            // Each committed change on any replica (a pod ready, a lease released, a request ahead leaving the queue)
            // and a 1 s beat (an expired lease frees a slot without any write) are a reason to look again.
            let (looks, nudge) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            group.addTask {
                for await _ in changes { nudge.yield() }
                return nil
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    nudge.yield()
                }
                return nil
            }
            group.addTask {
                for await _ in looks {
                    if let lease = try await look() { return lease }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(wait))
                return nil
            }
            // The first to finish decides: a lease, or the deadline (or the feed ending at shutdown) with none.
            let found = try await group.next() ?? nil
            nudge.finish()
            group.cancelAll()
            return found
        }
    }

    private static func attempt(_ settings: PoolSettings, ttl: Int, service: ServiceContext) async throws -> Lease? {
        let draining = Set(try await service.store.poolStatus(settings.name)?.draining ?? [])
        let ready = try await service.store.poolLaunches(settings.name).filter { $0.state == .ready && !draining.contains($0.id) }
        return try await service.store.acquireLease(
            pool: settings.name, candidates: ready, perPod: settings.perPodConcurrency, ttl: TimeInterval(ttl))
    }
}
