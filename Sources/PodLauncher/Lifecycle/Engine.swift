import Foundation
import Logging
import RunPodAPI
import Synchronization

/// One launch (or wait) in progress: its pods, its pacer, its clock, and the limit that stopped it, if one did.
final class LaunchRun: Sendable {
    /// The spec as sent (with a pod-side deadline applied).
    let spec: LaunchSpec
    let options: LaunchOptions
    let book: LaunchBook
    let pacer: RatePacer
    /// The launcher's client, also telling the pacer about 429s it retried by itself.
    let client: RunPodClient
    let stopwatch: Stopwatch
    private let crossed = Mutex<PodLimitExceeded?>(nil)

    init(spec: LaunchSpec, options: LaunchOptions, book: LaunchBook, launcher: RunPodLauncher) {
        self.spec = spec
        self.options = options
        self.book = book
        let pacerBox = Mutex<RatePacer?>(nil)
        let client = launcher.client.observingRetries { notice in
            if notice.reason.contains("429") { pacerBox.withLock { $0 }?.noteRetried429() }
        }
        let events = launcher.events
        let pacer = RatePacer(client: client, clock: launcher.configuration.clock, reserve: max(2, options.concurrency)) { wait, reason in
            events?(.pacing(wait: wait, reason: reason))
        }
        pacerBox.withLock { $0 = pacer }
        self.client = client
        self.pacer = pacer
        self.stopwatch = Stopwatch(clock: launcher.configuration.clock)
    }

    /// The first limit crossed, once one was.
    var exceeded: PodLimitExceeded? {
        get { crossed.withLock { $0 } }
        set { crossed.withLock { if $0 == nil { $0 = newValue } } }
    }

    var statistics: LaunchStatistics {
        let (waits, waited, limited) = pacer.statistics
        return LaunchStatistics(elapsed: stopwatch.elapsed, pacingWaits: waits, pacingWaited: waited, rateLimitedResponses: limited)
    }
}

/// Thrown inside a launch when it must stop: the failure that made `minReady` unreachable, or a launch-wide one.
struct LaunchStop: Error {
    var error: LauncherError
}

/// Carries the error of a caller's body through the lifecycle's own error handling, to be rethrown as it is.
private struct BodyError: Error {
    var error: any Error
}

/// The lifecycle, for a set of N ≥ 1 pods: every public launch, wait and `with…` call runs through `perform`.
///
/// create (placement planned once; RunPod's status table; adoption of a create whose answer was lost) → watch (one
/// status read per tick for all pods; the app port probed through the proxy) → limits raced against it all → on any
/// failure, timeout, crossed limit or cancellation, the reaper terminates every pod the launch created and confirms
/// each gone. With `minReady` below the count, pods that fail are given up (and terminated) while the others go on.
extension RunPodLauncher {
    /// How far a launch goes before `body` gets the pods.
    enum Goal { case created, ready }

    /// Runs the lifecycle and then `body` with the pods (ready, or just created for `.created`). When `terminateAfter`,
    /// every pod is terminated after `body` (on success, error and cancellation), as in `withPods`; otherwise the pods
    /// are left running once `body` returns. Every failure is a `LauncherError` saying what became of each pod; the
    /// body's own error is rethrown as it is, after the cleanup.
    func perform<T: Sendable>(
        _ spec: LaunchSpec, count: Int, options: LaunchOptions, goal: Goal, terminateAfter: Bool,
        _ body: @escaping @Sendable (LaunchedPods, LaunchRun) async throws -> T
    ) async throws -> T {
        try Validation.check(spec)
        try Validation.check(options, count: count)
        let prepared = try prepare(spec, options: options)
        let identities = (0..<count).map { index in
            var named = prepared
            named.name = LaunchOptions.podName(base: spec.name, index: index, count: count)
            var identity = PodIdentity(spec: named)
            if let launchIDs = options.launchIDs { identity.launchID = launchIDs[index] }
            return identity
        }
        let run = LaunchRun(
            spec: prepared, options: options, book: LaunchBook(identities: identities, minReady: options.minReady ?? count), launcher: self)
        return try await finish(run, terminateAfter: terminateAfter) {
            try await self.createAndWatch(run, goal: goal)
            let launched = try await self.settle(run)
            do {
                return try await body(launched, run)
            } catch {
                throw BodyError(error: error)
            }
        }
    }

    /// Waits for pods that already exist (`waitForReady`), with the launch's readiness rule. Never terminates them.
    func performWait(podIDs: [String], timeout: Duration) async throws -> [ReadyPod] {
        try Validation.check(timeout: timeout)
        let options = LaunchOptions(timeout: timeout, keepOnFailure: true)
        let run = LaunchRun(spec: LaunchSpec(), options: options, book: LaunchBook(existing: podIDs, at: .zero), launcher: self)
        do {
            try await watch(run)
            return run.book.readyPods
        } catch {
            throw lifecycleError(error, run: run).error
        }
    }

    /// Runs `work` against the limits; on failure cleans up and throws what became of every pod.
    private func finish<T: Sendable>(_ run: LaunchRun, terminateAfter: Bool, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let value: T
        do {
            value = try await raceLimits(run, work)
        } catch {
            let (failure, body) = lifecycleError(error, run: run)
            let targets = run.book.createdPods
            // A crossed limit, a cancellation or a body that ended: everything goes. Otherwise `keepOnFailure` keeps the
            // pods that did not become ready (to inspect them); ready pods are fine and would only bill.
            let keep: Set<String> =
                run.options.keepOnFailure && body == nil && run.exceeded == nil && !failure.isCancellation
                ? Set(run.book.members.filter { $0.phase != .ready }.compactMap(\.podID)) : []
            let reason =
                run.exceeded.map { "\($0.limitName) \($0.limitValue) reached" } ?? (failure.isCancellation ? "cancelled" : "launch failed")
            let outcome = await reap(
                podIDs: targets.podIDs.filter { !keep.contains($0) }, lookFor: targets.unanswered, reason: body == nil ? reason : "body failed",
                pacer: run.pacer, concurrency: run.options.concurrency)
            if let body { throw body }
            let kept = targets.podIDs.filter(keep.contains)
            throw failure.with(
                leftRunning: kept + outcome.leftRunning, terminated: outcome.terminated, cleanupErrors: outcome.errors)
        }
        guard terminateAfter else { return value }
        // The pods given up on (with `minReady`) are gone already.
        let ids = run.book.members.filter { $0.phase != .failed }.compactMap(\.podID)
        let outcome = await reap(podIDs: ids, lookFor: [], reason: "done", pacer: run.pacer, concurrency: run.options.concurrency)
        if let first = outcome.leftRunning.first, let error = outcome.errors[first] {
            throw error.with(leftRunning: outcome.leftRunning, terminated: outcome.terminated, cleanupErrors: outcome.errors)
        }
        return value
    }

    /// The launch's failure as a `LauncherError` (with the pod failures so far), or the body's own error.
    private func lifecycleError(_ error: any Error, run: LaunchRun) -> (error: LauncherError, body: (any Error)?) {
        var failure: LauncherError
        var body: (any Error)?
        switch error {
        case let box as BodyError:
            body = box.error
            failure = (box.error as? LauncherError) ?? .cancelled
        case let stop as LaunchStop: failure = stop.error
        default: failure = Self.normalize(error)
        }
        if let exceeded = run.exceeded {
            failure = LauncherError(.limitExceeded(exceeded))
            body = nil
        }
        failure.podFailures = run.book.failures
        return (failure, body)
    }

    /// Creates the pods and, for `.ready`, watches them until each is ready or failed.
    private func createAndWatch(_ run: LaunchRun, goal: Goal) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.createAll(run) }
            if goal == .ready { group.addTask { try await self.watch(run) } }
            // The first failure ends the group (`waitForAll` would let the others run on).
            while try await group.next() != nil {}
        }
    }

    /// With `minReady` below the count: gives up the pods that failed, confirming them gone before returning.
    private func settle(_ run: LaunchRun) async throws -> LaunchedPods {
        let failures = run.book.failures
        let targets = run.book.members.filter { $0.phase == .failed }
        let ids = targets.compactMap(\.podID)
        let unanswered = targets.filter { $0.podID == nil && $0.createSent }.map(\.identity)
        if !ids.isEmpty || !unanswered.isEmpty {
            let outcome = await reap(
                podIDs: ids, lookFor: unanswered, reason: "gave up on it", pacer: run.pacer, concurrency: run.options.concurrency)
            if let first = outcome.leftRunning.first {
                // A pod we meant to give up still bills: that is a failure of the whole launch (its cleanup stops the rest).
                throw LaunchStop(error: (outcome.errors[first] ?? .unexpected("could not confirm failed pods terminated")))
            }
        }
        return LaunchedPods(pods: run.book.readyPods, failures: failures, statistics: run.statistics)
    }

    /// Records a pod failure; throws `LaunchStop` when the launch can no longer reach `minReady`.
    func fail(_ run: LaunchRun, index: Int, _ error: LauncherError) throws {
        let (failure, mustStop) = run.book.failed(index, error: error)
        emit(.podFailed(index: index, podID: failure.podID, reason: error.reasonDescription))
        logger(podID: failure.podID, operation: "launch").info("pod failed", metadata: ["error": "\(error.reasonDescription)"])
        if mustStop { throw LaunchStop(error: error) }
    }

    /// Checks the options and applies the pod-side deadline.
    func prepare(_ spec: LaunchSpec, options: LaunchOptions) throws -> LaunchSpec {
        guard let deadline = options.podSideDeadline else { return spec }
        guard let lifetime = options.limits.maxLifetime else {
            throw LauncherError.invalidInput("A pod-side deadline needs a max lifetime: it is when the pod stops itself.")
        }
        guard !deadline.startCommand.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw LauncherError.invalidInput(
                "A pod-side deadline needs the image's start command (what its CMD runs), so the wrapper can run it.")
        }
        return deadline.apply(to: spec, lifetime: lifetime, now: options.now())
    }

    /// Any error as the library's: cancellation as `.cancelled`, wire errors mapped.
    static func normalize(_ error: any Error) -> LauncherError {
        switch error {
        case let error as LauncherError: error
        case let stop as LaunchStop: stop.error
        case is CancellationError: .cancelled
        case let error as RunPodAPIError: LauncherError.from(error, credentialSource: nil)
        default: Task.isCancelled ? .cancelled : .unexpected("\(error)")
        }
    }
}
