import Foundation
import Logging
import PodLauncher
import RunPodAPI
import Synchronization

/// The mark the service adds to every pod it creates, valued with its installation ID (see `LaunchStore`): the
/// reconciler touches a pod only when it carries this installation's mark.
public enum ServiceStamp {
    public static let key = "RUNPOD_LAUNCHER_SERVICE"
}

/// How the reconciler paces itself.
public struct ReconcilerSettings: Sendable {
    /// Time between ticks.
    public var tick: Duration
    /// While every launch is ready (nothing to create, probe or terminate), RunPod is listed only this often: enough
    /// to see limits, vanished pods and orphans, and far inside the rate limit (6 lists a minute by default).
    public var steadyListInterval: TimeInterval
    /// How long a create whose answer was lost (found in `creating` with no task, after a crash) may take to show up
    /// in a listing before it is sent again.
    public var createSettle: TimeInterval
    /// Lists in a row in which a known pod is missing before it counts as gone.
    public var missesBeforeGone: Int
    /// How long an ended launch's events are kept (at least the 24 h the API promises).
    public var eventRetention: TimeInterval
    /// Creates in flight at once; more pending launches wait for the next tick. Each create reads placement and
    /// holds connections: a burst of 900 POSTs must not become 900 creates (and 2,700 API calls) at once.
    public var maxCreatesInFlight: Int
    /// Probes and terminates in flight at once.
    public var maxStepsInFlight: Int

    public init(
        tick: Duration = .seconds(2), steadyListInterval: TimeInterval = 10, createSettle: TimeInterval = 60, missesBeforeGone: Int = 3,
        eventRetention: TimeInterval = 7 * 24 * 3600, maxCreatesInFlight: Int = 8, maxStepsInFlight: Int = 64
    ) {
        self.tick = tick
        self.steadyListInterval = steadyListInterval
        self.createSettle = createSettle
        self.missesBeforeGone = missesBeforeGone
        self.eventRetention = eventRetention
        self.maxCreatesInFlight = max(1, maxCreatesInFlight)
        self.maxStepsInFlight = max(1, maxStepsInFlight)
    }
}

/// The points of a launch's life where the crash matrix kills the service (tests only): the hook runs there and, to
/// simulate `kill -9`, never returns.
public enum CrashPoint: String, Sendable, CaseIterable {
    /// The launch is `creating`; the create is about to be sent.
    case beforeCreate
    /// RunPod answered the create; the launch is not yet `starting`.
    case afterCreateAnswered
    /// The app answered; the launch is not yet `ready`.
    case beforeReady
    /// The launch is `terminating`; the terminate is about to be sent.
    case beforeTerminate
    /// RunPod confirmed the pod gone; the launch is not yet final.
    case afterTerminateConfirmed
}

/// The level-triggered reconciler: every tick it compares what the database wants with what RunPod has (one
/// `listPods` for all launches) and acts through `PodLauncher`'s steps (create with adoption, the readiness check, the
/// limits, the reaper), each result written as a compare-and-set on the launch. Nothing it knows lives only in
/// memory that a restart could not rebuild: after a `kill -9`, the next tick picks everything up.
///
/// Each launch has at most one step in flight (a create, a probe or a terminate), run as a task the tick starts, so a
/// slow RunPod never holds the tick up.
public final class Reconciler: Sendable {
    let store: LaunchStore
    let launcher: RunPodLauncher
    let settings: ReconcilerSettings
    let metrics: ServiceMetrics?
    let logger: Logger
    let now: @Sendable () -> Date
    let crashHook: (@Sendable (CrashPoint, String) async -> Void)?
    /// Scales the pools after each pass (nil: no pools).
    let autoscaler: Autoscaler?
    /// Only the leader ticks, and it checks again before each create or terminate is sent.
    let leadership: Leadership
    /// Called once each time the reconciler goes quiet after work: the service trims its heap there (`MemoryPolicy`).
    let onQuiet: (@Sendable () -> Void)?

    private struct State {
        var inFlight: [String: Task<Void, Never>] = [:]
        /// Which of `inFlight` are creates.
        var creates: Set<String> = []
        /// Lists in a row without a launch's pod.
        var misses: [String: Int] = [:]
        /// Why a launch is not ready yet, or why its last create failed: the timeout's message.
        var lastWord: [String: String] = [:]
        /// Launches whose last create found no capacity, and when to try again.
        var notBefore: [String: Date] = [:]
        var lastList: Date?
        var lastPrune: Date?
        /// Whether the last tick had launches between states or steps in flight.
        var wasBusy = false
    }

    private let state = Mutex(State())

    public init(
        store: LaunchStore, launcher: RunPodLauncher, settings: ReconcilerSettings = .init(), metrics: ServiceMetrics? = nil,
        logger: Logger = Logger(label: "runpod.service.reconciler"), now: @escaping @Sendable () -> Date = { Date() },
        crashHook: (@Sendable (CrashPoint, String) async -> Void)? = nil, pools: (intake: LaunchIntake, runtime: PoolRuntime)? = nil,
        leadership: Leadership = .sole, onQuiet: (@Sendable () -> Void)? = nil
    ) {
        self.leadership = leadership
        self.store = store
        self.launcher = launcher
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.now = now
        self.crashHook = crashHook
        self.onQuiet = onQuiet
        self.autoscaler = pools.map { pools in
            Autoscaler(
                store: store, launcher: launcher, intake: pools.intake, runtime: pools.runtime, sources: DemandSources(store: store), logger: logger,
                now: now, leadership: leadership)
        }
    }

    /// Ticks until cancelled; then lets the steps in flight finish for up to `grace` (a create that RunPod answers
    /// is recorded), and cancels the rest.
    public func run(grace: Duration = .seconds(5)) async {
        while !Task.isCancelled {
            guard leadership.isLeader else {
                // A follower watches for leadership often, so a new leader's first tick comes at once.
                try? await Task.sleep(for: min(settings.tick, .milliseconds(100)))
                continue
            }
            await tick()
            try? await Task.sleep(for: settings.tick)
        }
        await drain(within: grace)
    }

    /// Waits for the steps in flight, up to `within`; cancels what is left.
    public func drain(within: Duration? = nil) async {
        let tasks = state.withLock { Array($0.inFlight.values) }
        guard let within else {
            for task in tasks { await task.value }
            return
        }
        let all = Task { for task in tasks { await task.value } }
        let timer = Task {
            try? await Task.sleep(for: within)
            for task in tasks { task.cancel() }
        }
        await all.value
        timer.cancel()
    }

    /// Cancels every step in flight at once (tests: the service "dies").
    public func abandon() {
        for task in state.withLock({ Array($0.inFlight.values) }) { task.cancel() }
    }

    /// One pass over every live launch, when this replica leads. Never throws: a failing database or RunPod is
    /// logged and tried next tick.
    public func tick() async {
        guard leadership.isLeader else { return }
        let started = ContinuousClock.now
        defer { metrics?.reconciled(duration: ContinuousClock.now - started) }
        do {
            try await reconcile()
        } catch {
            logger.warning("reconcile tick failed; trying again next tick", metadata: ["error": "\(Self.describe(error))"])
        }
        await autoscaler?.tick()
    }

    private func reconcile() async throws {
        let tickStart = now()
        // RunPod first, then the database: a pod in the listing was created after its launch row was written, so the
        // row is in the read below (or ended since), and a launch POSTed meanwhile is never taken for an orphan.
        let peek = try await store.liveLaunches()
        let busy = peek.contains { $0.state != .ready } || state.withLock { !$0.inFlight.isEmpty }
        let wentQuiet = state.withLock { state in
            defer { state.wasBusy = busy }
            return state.wasBusy && !busy
        }
        if wentQuiet { onQuiet?() }
        let lastList = state.withLock { $0.lastList }
        let listDue = busy || lastList.map { tickStart.timeIntervalSince($0) >= settings.steadyListInterval } ?? true
        var listing: Listing?
        if listDue {
            do {
                listing = Listing(try await launcher.client.listPods(), installationID: store.installationID)
                state.withLock { $0.lastList = tickStart }
            } catch {
                logger.warning("listing pods failed; acting on the database alone this tick", metadata: ["error": "\(Self.describe(error))"])
            }
        }
        let live = listDue ? try await store.liveLaunches() : peek
        metrics?.livePods(costPerHour: live.compactMap { $0.state == .terminating ? nil : $0.costPerHour }.reduce(0, +))
        for launch in live where !isBusy(launch.id) {
            await step(launch, listing: listing)
        }
        if let listing { terminateOrphans(listing, live: live) }
        try await pruneIfDue()
    }

    // MARK: One launch

    private func step(_ launch: Launch, listing: Listing?) async {
        let pods = listing?.pods(of: launch.id) ?? []
        if let listing { noteMisses(launch, present: listing.pods(of: launch.id).contains { $0.id == launch.podID }) }
        switch launch.state {
        case .pending, .creating, .starting:
            if now() >= launch.readyDeadline {
                let waited = state.withLock { $0.lastWord[launch.id] }
                let error = LauncherError.timedOut(
                    podID: launch.podID ?? "(none yet)", after: .seconds(launch.plan.timeoutSeconds), lastStatus: pods.first?.status,
                    waitingFor: waited ?? Self.waitingWord(launch.state))
                await move(launch, to: .terminating, error: LaunchFailure(error))
                return
            }
            if launch.state != .starting, let pod = pods.first {
                await adopt(launch, pod: pod)
                return
            }
            switch launch.state {
            case .pending: await startCreate(launch)
            case .creating: await settleCreate(launch, listing: listing)
            default: if let listing { startProbe(launch, pod: listing.pod(launch)) }
            }
        case .ready:
            await checkReady(launch, listing: listing)
        case .terminating:
            if let listing { startTerminate(launch, pods: pods, listing: listing) }
        case .terminated, .failed:
            return
        }
    }

    private static func waitingWord(_ state: LaunchState) -> String {
        switch state {
        case .pending: "a create to be sent (RunPod unreachable or out of capacity)"
        case .creating: "RunPod to answer the create"
        default: "the pod to become ready"
        }
    }

    /// A pod of this launch exists: record it and go on to `starting`.
    private func adopt(_ launch: Launch, pod: RunPod.Pod) async {
        await change(launch.id) { current in
            guard current.state == .pending || current.state == .creating else { return nil }
            var next = current
            next.state = .starting
            Self.record(pod, on: &next)
            return next
        }
        logger.info("adopted pod", metadata: ["launch.id": "\(launch.id)", "pod.id": "\(pod.id)"])
    }

    static func record(_ pod: RunPod.Pod, on launch: inout Launch) {
        let value = Pod(pod)
        launch.podID = pod.id
        launch.gpuTypeID = value.gpuTypeID ?? launch.gpuTypeID
        launch.dataCenterID = value.dataCenterID ?? launch.dataCenterID
        if value.costPerHour > 0 { launch.costPerHour = value.costPerHour }
        launch.podCreatedAt = launch.podCreatedAt ?? value.createdAt
    }

    // MARK: Create

    private func startCreate(_ launch: Launch) async {
        if let notBefore = state.withLock({ $0.notBefore[launch.id] }), now() < notBefore { return }
        guard state.withLock({ $0.creates.count < settings.maxCreatesInFlight }) else { return }  // Next tick.
        var sending = launch
        sending.state = .creating
        sending.createSentAt = now()
        guard let creating = await write(sending) else { return }
        spawn(launch.id, create: true) { await self.create(creating) }
    }

    /// Sends the create (placement, RunPod's status table, adoption of a lost answer: the launcher's create step).
    private func create(_ launch: Launch) async {
        await crashHook?(.beforeCreate, launch.id)
        let plan = launch.plan
        var spec = plan.spec
        spec.name = launch.name
        spec.env[ServiceStamp.key] = store.installationID
        var options = LaunchOptions(timeout: .seconds(plan.timeoutSeconds), networkVolumeIDs: plan.networkVolumeIDs)
        options.launchIDs = [launch.id]
        guard leadership.isLeader else {
            // Leadership went between the compare-and-set and the send: the leader sends it.
            await sendAgain(launch)
            return
        }
        do {
            let pods = try await launcher.createPods(spec, count: 1, options: options)
            await crashHook?(.afterCreateAnswered, launch.id)
            guard let pod = pods.first else { throw LauncherError.unexpected("the create ended without its pod") }
            state.withLock { $0.notBefore[launch.id] = nil }
            await change(launch.id) { current in
                var next = current
                if current.state == .creating { next.state = .starting }
                guard next.podID == nil || next.podID == pod.id else { return nil }
                next.podID = pod.id
                next.gpuTypeID = pod.gpuTypeID
                next.dataCenterID = pod.dataCenterID
                if pod.costPerHour > 0 { next.costPerHour = pod.costPerHour }
                next.podCreatedAt = current.podCreatedAt ?? pod.createdAt ?? self.now()
                return next
            }
        } catch {
            let failure = (error as? LauncherError) ?? .unexpected(Self.describe(error))
            if failure.isCancellation { return }  // Shutting down: the next start finds the launch `creating` and settles it.
            let transient = failure.isTransient || failure.kind == .noCapacity
            logger.notice(
                transient ? "create failed; trying again" : "create failed",
                metadata: ["launch.id": "\(launch.id)", "error": "\(failure.name)"])
            state.withLock { $0.lastWord[launch.id] = failure.reasonDescription }
            if transient && failure.leftRunning.isEmpty {
                state.withLock { $0.notBefore[launch.id] = self.now().addingTimeInterval(failure.kind == .noCapacity ? 10 : 2) }
                await sendAgain(launch)
            } else {
                await move(launch, to: .terminating, error: LaunchFailure(failure), from: [.creating])
            }
        }
    }

    /// A launch found `creating` with no create in flight (the service restarted): wait for the pod to show up in a
    /// listing, for as long as a lost answer can take; after that, no pod came, and the create is sent again.
    private func settleCreate(_ launch: Launch, listing: Listing?) async {
        guard listing != nil else { return }
        let sent = launch.createSentAt ?? launch.createdAt
        guard now().timeIntervalSince(sent) >= settings.createSettle else { return }
        logger.notice("a create sent before a restart never showed up; sending it again", metadata: ["launch.id": "\(launch.id)"])
        await sendAgain(launch)
    }

    /// Back to `pending`: the next tick sends the create again.
    private func sendAgain(_ launch: Launch) async {
        await change(launch.id) { current in
            guard current.state == .creating else { return nil }
            var next = current
            next.state = .pending
            next.createSentAt = nil
            return next
        }
    }

    // MARK: Readiness

    private func startProbe(_ launch: Launch, pod: RunPod.Pod?) {
        guard let pod else {
            if state.withLock({ $0.misses[launch.id] ?? 0 }) >= settings.missesBeforeGone {
                spawn(launch.id) {
                    await self.move(
                        launch, to: .terminating,
                        error: LaunchFailure(kind: "podFailed", message: "Pod \(launch.podID ?? "?") disappeared from RunPod's pod list."))
                }
            }
            return
        }
        spawn(launch.id) {
            let check = await self.launcher.checkReadiness(of: pod, readyPath: launch.plan.readyPath, probeApp: launch.plan.probeApp)
            switch check {
            case .starting(let waitingFor):
                self.state.withLock { $0.lastWord[launch.id] = waitingFor }
                await self.refreshRate(launch, pod: pod)
            case .failed(let error):
                await self.move(launch, to: .terminating, error: LaunchFailure(error))
            case .ready(let ready):
                await self.crashHook?(.beforeReady, launch.id)
                await self.change(launch.id) { current in
                    guard current.state == .starting else { return nil }
                    var next = current
                    next.state = .ready
                    next.readyAt = self.now()
                    Self.record(pod, on: &next)
                    next.urls = Dictionary(uniqueKeysWithValues: ready.urls.map { ($0.key, $0.value.absoluteString) })
                    return next
                }
                self.state.withLock { $0.lastWord[launch.id] = nil }
            }
        }
    }

    /// Keeps the stored rate and creation time in step with RunPod's (cost and limits count from them).
    private func refreshRate(_ launch: Launch, pod: RunPod.Pod) async {
        var next = launch
        Self.record(pod, on: &next)
        guard next != launch else { return }
        await write(next)
    }

    private func checkReady(_ launch: Launch, listing: Listing?) async {
        let now = now()
        if let created = launch.podCreatedAt, let crossing = launch.plan.limits.crossing(costPerHour: launch.costPerHour ?? 0) {
            let age = Duration.milliseconds(Int64(max(0, now.timeIntervalSince(created)) * 1000))
            if age >= crossing.age {
                let exceeded = PodLimitExceeded(limit: crossing.limit, podID: launch.podID ?? "?", elapsed: age, costPerHour: launch.costPerHour ?? 0)
                await move(launch, to: .terminating, error: LaunchFailure(LauncherError(.limitExceeded(exceeded))))
                return
            }
        }
        guard let listing else { return }
        if let pod = listing.pod(launch) {
            if let failure = RunPodLauncher.failure(of: pod) {
                await move(launch, to: .terminating, error: LaunchFailure(failure))
            } else {
                await refreshRate(launch, pod: pod)
            }
        } else if state.withLock({ $0.misses[launch.id] ?? 0 }) >= settings.missesBeforeGone {
            await move(
                launch, to: .terminating,
                error: LaunchFailure(kind: "podFailed", message: "Pod \(launch.podID ?? "?") was terminated outside the service."))
        }
    }

    private func noteMisses(_ launch: Launch, present: Bool) {
        guard launch.podID != nil else { return }
        state.withLock { $0.misses[launch.id] = present ? 0 : ($0.misses[launch.id] ?? 0) + 1 }
    }

    // MARK: Terminate

    private func startTerminate(_ launch: Launch, pods: [RunPod.Pod], listing: Listing) {
        let ids = Array(Set(pods.map(\.id) + (launch.podID.map { [$0] } ?? []))).sorted()
        spawn(launch.id) {
            await self.crashHook?(.beforeTerminate, launch.id)
            guard self.leadership.isLeader else { return }
            if !ids.isEmpty {
                let results = await self.launcher.terminate(podIDs: ids, reason: "launch \(launch.id) ended")
                let failed = results.filter { !$0.isGone }
                guard failed.isEmpty else {
                    self.logger.warning(
                        "terminate not confirmed; trying again next tick",
                        metadata: ["launch.id": "\(launch.id)", "error": "\(failed.first?.error?.name ?? "?")"])
                    return
                }
                await self.crashHook?(.afterTerminateConfirmed, launch.id)
            }
            await self.change(launch.id) { current in
                guard current.state == .terminating else { return nil }
                var next = current
                next.state = current.error == nil ? .terminated : .failed
                next.endedAt = self.now()
                return next
            }
            self.forget(launch.id)
        }
    }

    /// Terminates pods that carry this installation's mark but that no live launch wants: a launch that ended while
    /// its pod lived on, or a second pod for one launch (a lost create that landed after it was sent again).
    private func terminateOrphans(_ listing: Listing, live: [Launch]) {
        let wanted = Dictionary(live.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for pod in listing.stamped {
            guard let launchID = PodIdentity.launchID(of: pod) else { continue }
            if let launch = wanted[launchID] {
                // Its launch wants it, unless the launch already has another pod (or is about to adopt one).
                guard let recorded = launch.podID, recorded != pod.id else { continue }
            }
            let key = "orphan:" + pod.id
            guard !isBusy(key) else { continue }
            logger.notice("terminating a pod of this service that no launch wants", metadata: ["pod.id": "\(pod.id)", "launch.id": "\(launchID)"])
            spawn(key) {
                guard self.leadership.isLeader else { return }
                _ = await self.launcher.terminate(podIDs: [pod.id], reason: "orphan of launch \(launchID)")
            }
        }
    }

    // MARK: Writing

    /// Moves a launch to `state` with `error`, unless it is final or (when given) not in one of `from`.
    private func move(_ launch: Launch, to target: LaunchState, error: LaunchFailure?, from: [LaunchState]? = nil) async {
        await change(launch.id) { current in
            guard !current.state.isFinal, current.state != target, from.map({ $0.contains(current.state) }) ?? true else { return nil }
            var next = current
            next.state = target
            if next.error == nil { next.error = error }
            return next
        }
    }

    /// Reads the launch, applies `edit`, and writes it with a compare-and-set, again while someone else wins the race.
    /// `edit` returning nil leaves the launch alone.
    @discardableResult
    private func change(_ id: String, _ edit: (Launch) -> Launch?) async -> Launch? {
        for _ in 0..<5 {
            do {
                guard let current = try await store.launch(id: id), let next = edit(current) else { return nil }
                if next == current { return current }
                if let stored = try await store.update(next) { return stored }
            } catch {
                logger.warning("writing a launch failed", metadata: ["launch.id": "\(id)", "error": "\(Self.describe(error))"])
                return nil
            }
        }
        return nil
    }

    @discardableResult
    private func write(_ launch: Launch) async -> Launch? {
        do {
            return try await store.update(launch)
        } catch {
            logger.warning("writing a launch failed", metadata: ["launch.id": "\(launch.id)", "error": "\(Self.describe(error))"])
            return nil
        }
    }

    // MARK: Tasks

    private func isBusy(_ key: String) -> Bool { state.withLock { $0.inFlight[key] != nil } }

    private func spawn(_ key: String, create: Bool = false, _ work: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            guard state.inFlight[key] == nil else { return }
            guard create || state.inFlight.count - state.creates.count < settings.maxStepsInFlight else { return }  // Next tick.
            if create { state.creates.insert(key) }
            state.inFlight[key] = Task {
                await work()
                self.state.withLock { state in
                    state.inFlight.removeValue(forKey: key)
                    state.creates.remove(key)
                }
            }
        }
    }

    private func forget(_ id: String) {
        state.withLock { state in
            state.misses[id] = nil
            state.lastWord[id] = nil
            state.notBefore[id] = nil
        }
    }

    private func pruneIfDue() async throws {
        let now = now()
        let due = state.withLock { state -> Bool in
            guard state.lastPrune.map({ now.timeIntervalSince($0) >= 3600 }) ?? true else { return false }
            state.lastPrune = now
            return true
        }
        if due { try await store.prune(eventRetention: settings.eventRetention) }
    }

    /// An error as a log line: the launcher's own words (which never carry the API key), else the type's.
    static func describe(_ error: any Error) -> String {
        if let error = error as? LauncherError { return error.reasonDescription }
        if let error = error as? RunPodAPIError { return error.attemptLine }
        return String(describing: type(of: error)) + ": " + String(describing: error).prefix(300)
    }
}

/// One tick's view of RunPod: the live pods carrying this installation's mark, by launch ID.
struct Listing: Sendable {
    let stamped: [RunPod.Pod]
    private let byLaunch: [String: [RunPod.Pod]]

    init(_ pods: [RunPod.Pod], installationID: String) {
        stamped = pods.filter { $0.status != .terminated && $0.env?[ServiceStamp.key] == installationID }
        var byLaunch: [String: [RunPod.Pod]] = [:]
        for pod in stamped { if let id = PodIdentity.launchID(of: pod) { byLaunch[id, default: []].append(pod) } }
        self.byLaunch = byLaunch
    }

    func pods(of launchID: String) -> [RunPod.Pod] { byLaunch[launchID] ?? [] }

    /// The launch's own pod: the one it recorded, else the only one.
    func pod(_ launch: Launch) -> RunPod.Pod? {
        let pods = pods(of: launch.id)
        if let recorded = launch.podID { return pods.first { $0.id == recorded } }
        return pods.first
    }
}
