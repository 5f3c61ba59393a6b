import Foundation
import RunPodAPI
import Synchronization

/// What the lifetime and cost guard knows about the pod it watches, learned from the launcher's own events.
final class LimitMeter: Sendable {
    private struct State {
        var podID: String?
        /// When the pod was created, on the stopwatch.
        var createdAt: Duration?
        var costPerHour: Double = 0
        var exceeded: PodLimitExceeded?
    }

    let limits: PodLimits
    let stopwatch: Stopwatch
    private let state = Mutex(State())
    private let creation: AsyncStream<Void>
    private let creationContinuation: AsyncStream<Void>.Continuation

    init(limits: PodLimits, clock: any Clock<Duration>) {
        self.limits = limits
        self.stopwatch = Stopwatch(clock: clock)
        (creation, creationContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Feeds one launcher event: `created` starts the pod's age, and it and `ready` give its rate.
    func observe(_ event: LaunchEvent) {
        switch event {
        case .created(let pod, _):
            let now = stopwatch.elapsed
            state.withLock { state in
                if state.podID != pod.id { state.createdAt = now }
                state.podID = pod.id
                if pod.costPerHour > 0 { state.costPerHour = pod.costPerHour }
            }
            creationContinuation.yield()
        case .ready(let ready):
            state.withLock { state in
                if ready.pod.costPerHour > 0 { state.costPerHour = ready.pod.costPerHour }
            }
        default:
            break
        }
    }

    var podID: String? { state.withLock { $0.podID } }
    var exceeded: PodLimitExceeded? { state.withLock { $0.exceeded } }

    /// The pod's age now, and what it has cost so far; nil before it exists.
    var usage: (podID: String, age: Duration, costPerHour: Double)? {
        let now = stopwatch.elapsed
        return state.withLock { state in
            guard let podID = state.podID, let created = state.createdAt else { return nil }
            return (podID, now - created, state.costPerHour)
        }
    }

    /// Waits until the pod exists, then sleeps until the first limit is crossed at the rate known then; returns
    /// what was crossed, or nil when cancelled or when no limit applies. Sleeps on the launcher's clock, so tests
    /// with a skipping clock see it fire deterministically.
    func watch(clock: any Clock<Duration>) async -> PodLimitExceeded? {
        if usage == nil {
            var iterator = creation.makeAsyncIterator()
            while usage == nil {
                guard await iterator.next() != nil, !Task.isCancelled else { return nil }
            }
        }
        guard let start = usage, let crossing = limits.crossing(costPerHour: start.costPerHour) else { return nil }
        let remaining = crossing.age - start.age
        if remaining > .zero {
            do { try await RunPodAPI.sleep(for: remaining, on: clock) } catch { return nil }
        }
        guard !Task.isCancelled, let now = usage else { return nil }
        let exceeded = PodLimitExceeded(limit: crossing.limit, podID: now.podID, elapsed: now.age, costPerHour: now.costPerHour)
        state.withLock { if $0.exceeded == nil { $0.exceeded = exceeded } }
        return exceeded
    }
}

extension RunPodLauncher {
    /// A copy of this launcher whose events also go to `observer` (first). The client is shared as it is.
    func observing(_ observer: @escaping EventHandler) -> RunPodLauncher {
        var copy = self
        let previous = events
        copy.events = { event in
            observer(event)
            previous?(event)
        }
        return copy
    }

    private enum RaceOutcome<T: Sendable>: Sendable {
        case work(Result<T, any Error>)
        case limit(PodLimitExceeded?)
    }

    /// Runs `work` against the meter's limits: when one is crossed, `work` is cancelled (its own cleanup runs) and
    /// its outcome is returned with the limit that stopped it.
    func race<T: Sendable>(_ work: @escaping @Sendable () async throws -> T, meter: LimitMeter) async -> (
        result: Result<T, any Error>, exceeded: PodLimitExceeded?
    ) {
        let clock = configuration.clock
        return await withTaskGroup(of: RaceOutcome<T>.self) { group in
            group.addTask {
                do {
                    return .work(.success(try await work()))
                } catch {
                    return .work(.failure(error))
                }
            }
            group.addTask { .limit(await meter.watch(clock: clock)) }
            var exceeded: PodLimitExceeded?
            while let outcome = await group.next() {
                switch outcome {
                case .work(let result):
                    group.cancelAll()
                    return (result, exceeded ?? meter.exceeded)
                case .limit(let crossed?):
                    exceeded = crossed
                    logger(podID: crossed.podID, operation: "limits").notice("\(crossed.limitName) crossed; stopping")
                    group.cancelAll()
                case .limit(nil):
                    continue
                }
            }
            return (.failure(CancellationError()), exceeded)
        }
    }

    /// Ends a guarded phase whose limit was crossed: makes sure the pod is gone and throws the limit as a
    /// `LauncherFailure` that says what became of it.
    func finishExceeded(_ exceeded: PodLimitExceeded, podID: String?, outcome: (any Error)?) async -> LauncherFailure {
        let reason = "\(exceeded.limitName) \(exceeded.limitValue) reached"
        if let failure = outcome as? LauncherFailure, let id = failure.podID {
            // The launch cleaned up after its cancellation, unless it was told to keep the pod: a budget limit overrides that.
            if failure.podLeftRunning && failure.cleanupError == nil {
                let cleanupError = await cleanUp(podID: id, reason: reason)
                return LauncherFailure(error: exceeded, podID: id, podLeftRunning: cleanupError != nil, cleanupError: cleanupError)
            }
            return LauncherFailure(error: exceeded, podID: id, podLeftRunning: failure.podLeftRunning, cleanupError: failure.cleanupError)
        }
        guard let id = podID ?? (outcome as? LauncherFailure)?.podID else {
            return LauncherFailure(error: exceeded, podID: nil, podLeftRunning: false)
        }
        let cleanupError = await cleanUp(podID: id, reason: reason)
        return LauncherFailure(error: exceeded, podID: id, podLeftRunning: cleanupError != nil, cleanupError: cleanupError)
    }
}
