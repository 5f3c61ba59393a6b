import Foundation
import Logging
import RunPodAPI
import Synchronization

/// One fleet launch in progress: its pods, its pacer, its clock and where its events go.
final class FleetRun: Sendable {
    let spec: LaunchSpec
    let options: FleetOptions
    let book: FleetBook
    let pacer: FleetPacer
    let stopwatch: Stopwatch
    let events: (@Sendable (FleetEvent) -> Void)?

    init(spec: LaunchSpec, options: FleetOptions, book: FleetBook, pacer: FleetPacer, stopwatch: Stopwatch, events: (@Sendable (FleetEvent) -> Void)?)
    {
        self.spec = spec
        self.options = options
        self.book = book
        self.pacer = pacer
        self.stopwatch = stopwatch
        self.events = events
    }

    func emit(_ event: FleetEvent) { events?(event) }

    /// Records a failed pod; throws `FleetStop` when the fleet can no longer reach `minReady`.
    func fail(index: Int, _ error: LauncherError) throws {
        let (failure, mustStop) = book.failed(index: index, error: error)
        emit(.podFailed(failure))
        if mustStop { throw FleetStop(error: error) }
    }
}

/// Thrown inside a fleet launch when it must stop: the pod failure that made `minReady` unreachable.
struct FleetStop: Error {
    var error: LauncherError
}

extension RunPodLauncher {
    /// Launches `options.count` pods from one spec concurrently and waits until they are ready.
    ///
    /// Pods are named `NAME-1` … `NAME-N` when `spec.name` is set (generated names otherwise), each with its own
    /// launch ID. Placement is read once; creates go out at most `options.concurrency` at a time, and every API call
    /// is paced to stay inside the rate limit RunPod reports (`RateLimit` headers, `Retry-After` on a 429). While
    /// they start, one `GET /v2/pods` per tick reads every pod's status.
    ///
    /// All-or-nothing by default: when a pod fails (or fewer than `options.minReady` can still be ready), on a
    /// timeout and on cancellation, every pod the fleet created is terminated and confirmed gone, shielded from the
    /// cancellation, and `FleetFailure` says what became of each. With `minReady` below `count`, the pods that failed
    /// are terminated before the fleet is returned and listed in `Fleet.failures`.
    ///
    /// Like a single launch, every pod is recorded in `ledger` as soon as its create is answered and forgotten once
    /// RunPod confirms it gone; the pods of a returned fleet stay recorded until they are terminated.
    public func launchFleet(_ spec: LaunchSpec, options: FleetOptions, events: (@Sendable (FleetEvent) -> Void)? = nil) async throws -> Fleet {
        try await startFleet(spec, options: options, events: events).fleet
    }

    /// `launchFleet`, also returning the launch's run and launcher, so `withFleet` cleans up with the same pacer.
    private func startFleet(
        _ spec: LaunchSpec, options: FleetOptions, events: (@Sendable (FleetEvent) -> Void)?
    ) async throws -> (fleet: Fleet, run: FleetRun, launcher: RunPodLauncher) {
        do {
            try Self.check(options)
            try Validation.check(spec)
        } catch {
            throw FleetFailure(error: error, failures: [], terminated: [], leftRunning: [])
        }
        let identities = (0..<options.count).map { index in
            var named = spec
            named.name = FleetOptions.podName(base: spec.name, index: index)
            return PodIdentity(spec: named)
        }
        let book = FleetBook(identities: identities, minReady: options.minReady)
        // 429s the client retries by itself are counted too (the pacer learns the budget from the headers either way).
        let pacerBox = Mutex<FleetPacer?>(nil)
        let counting = client.observingRetries { notice in
            if notice.reason.contains("429") { pacerBox.withLock { $0 }?.noteRetried429() }
        }
        // The caller's ledger, not the default one: a launcher built with `ledger: nil` must write no state directory.
        let fleetLauncher = RunPodLauncher(client: counting, configuration: configuration, logger: logger, ledger: ledger, events: nil)
        let pacer = FleetPacer(client: counting, clock: configuration.clock, reserve: max(2, options.concurrency)) { wait, reason in
            events?(.pacing(wait: wait, reason: reason))
        }
        pacerBox.withLock { $0 = pacer }
        let run = FleetRun(spec: spec, options: options, book: book, pacer: pacer, stopwatch: Stopwatch(clock: configuration.clock), events: events)

        do {
            try await fleetLauncher.runFleet(run)
        } catch {
            let stop: any Error =
                switch error {
                case let stop as FleetStop: stop.error
                default: Self.normalize(error)
                }
            let targets = book.cleanupTargets
            let reason = stop is CancellationError ? "cancelled" : "fleet failed"
            let outcome = await fleetLauncher.cleanUpFleet(podIDs: targets.podIDs, lookFor: targets.lookFor, reason: reason, run: run)
            throw FleetFailure(
                error: stop, failures: book.failures, terminated: outcome.terminated, leftRunning: outcome.leftRunning,
                cleanupErrors: outcome.errors)
        }

        // With minReady below count: give up the pods that failed, and confirm them gone before returning.
        let failures = book.failures
        let failedIDs = failures.compactMap(\.podID)
        let unknown = book.members.filter { $0.phase == .failed && $0.progress.createSent }
        if !failedIDs.isEmpty || !unknown.isEmpty {
            let outcome = await fleetLauncher.cleanUpFleet(podIDs: failedIDs, lookFor: unknown.map(\.identity), reason: "gave up on it", run: run)
            if !outcome.leftRunning.isEmpty {
                // A pod we meant to give up still bills: that is a failure of the whole launch; stop the ready ones too.
                let ready = book.readyPods.map(\.pod.id)
                let more = await fleetLauncher.cleanUpFleet(podIDs: ready, lookFor: [], reason: "fleet failed", run: run)
                let error = outcome.errors.values.first ?? .invalidInput("could not confirm failed pods terminated")
                throw FleetFailure(
                    error: error, failures: failures, terminated: outcome.terminated + more.terminated,
                    leftRunning: outcome.leftRunning + more.leftRunning, cleanupErrors: outcome.errors.merging(more.errors) { first, _ in first })
            }
        }
        let (waits, waited, limited) = pacer.statistics
        let fleet = Fleet(
            pods: book.readyPods, failures: failures,
            statistics: FleetStatistics(elapsed: run.stopwatch.elapsed, pacingWaits: waits, pacingWaited: waited, rateLimitedResponses: limited))
        return (fleet, run, fleetLauncher)
    }

    /// Launches a fleet, runs `body` with it, and always terminates every pod: on success, error and cancellation.
    ///
    /// Launch failures are thrown as `FleetFailure`; `body`'s own error is rethrown as it is (after the cleanup). If
    /// the final cleanup cannot confirm every pod gone after `body` succeeded, a `FleetFailure` names those pods.
    public func withFleet<T: Sendable>(
        _ spec: LaunchSpec, options: FleetOptions, events: (@Sendable (FleetEvent) -> Void)? = nil, _ body: (Fleet) async throws -> T
    ) async throws -> T {
        let (fleet, run, launcher) = try await startFleet(spec, options: options, events: events)
        let result: T
        do {
            result = try await body(fleet)
        } catch {
            _ = await launcher.cleanUpFleet(
                podIDs: fleet.podIDs, lookFor: [], reason: error is CancellationError ? "cancelled" : "body failed", run: run)
            throw error
        }
        let outcome = await launcher.cleanUpFleet(podIDs: fleet.podIDs, lookFor: [], reason: "done", run: run)
        if !outcome.leftRunning.isEmpty {
            let error = outcome.errors.values.first ?? .invalidInput("could not confirm the fleet's pods terminated")
            throw FleetFailure(
                error: error, failures: [], terminated: outcome.terminated, leftRunning: outcome.leftRunning, cleanupErrors: outcome.errors)
        }
        return result
    }

    static func check(_ options: FleetOptions) throws {
        guard options.count >= 1 else { throw LauncherError.invalidInput("The pod count must be at least 1 (got \(options.count)).") }
        guard options.concurrency >= 1 else {
            throw LauncherError.invalidInput("The concurrency must be at least 1 (got \(options.concurrency)).")
        }
        guard (1...options.count).contains(options.minReady) else {
            throw LauncherError.invalidInput(
                "The minimum ready count must be between 1 and the pod count \(options.count) (got \(options.minReady)).")
        }
        try Validation.check(timeout: options.timeout)
    }

    /// Placement once, then the creators and the waiter side by side; returns when every pod is ready or failed.
    private func runFleet(_ run: FleetRun) async throws {
        // The volume read, then one catalog read per cloud.
        let reads = (run.spec.networkVolumeID == nil ? 0 : 1) + (run.spec.cloudType == .all && run.spec.networkVolumeID == nil ? 2 : 1)
        let placement = try await run.pacer.paced(cost: reads) { try await planFleetPlacement(run.spec) }
        run.emit(.placed(dataCenterID: placement.dataCenterID, candidates: placement.candidates))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await withThrowingTaskGroup(of: Void.self) { creators in
                    for _ in 0..<min(run.options.concurrency, run.options.count) {
                        creators.addTask { try await self.createFleetMembers(run, placement: placement) }
                    }
                    // Not `waitForAll()`: it lets the other children run on after one throws. The first FleetStop must
                    // end the group, which cancels the other creators (no more creates once the fleet has failed).
                    while try await creators.next() != nil {}
                }
                run.book.creatorsDone = true
            }
            group.addTask { try await self.waitForFleet(run) }
            // Likewise: a creator's FleetStop must cancel the waiter, which may be waiting for a create that never comes.
            while try await group.next() != nil {}
        }
        if run.book.readyPods.count < run.options.minReady, let first = run.book.failures.first {
            throw FleetStop(error: first.error)
        }
    }

    /// One creator: takes the next pod to create until none is left.
    private func createFleetMembers(_ run: FleetRun, placement: FleetPlacement) async throws {
        while let next = run.book.takeNextToCreate() {
            let (index, identity, progress) = (next.index, next.identity, next.progress)
            var named = run.spec
            named.name = identity.name
            do {
                let pod = try await createFleetPod(named, identity: identity, progress: progress, placement: placement, pacer: run.pacer)
                let created = run.book.created(index: index, pod: pod, at: run.stopwatch.elapsed)
                run.emit(.created(index: index, pod: pod, created: created, total: run.book.count))
                logger(podID: pod.id, operation: "fleet").info("pod created", metadata: ["index": "\(index + 1)"])
            } catch {
                let normalized = Self.normalize(error)
                guard let launcherError = normalized as? LauncherError else { throw normalized }
                try run.fail(index: index, launcherError)
            }
        }
    }
}
