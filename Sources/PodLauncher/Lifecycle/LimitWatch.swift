import Foundation
import Logging
import RunPodAPI

/// The budget limits (`PodLimits`), raced against a launch and the caller's body: each pod is measured from its own
/// create, at the rate RunPod reported for it; when the first pod crosses a limit, the work is cancelled and every
/// pod of the launch is terminated (even with `keepOnFailure`).
extension RunPodLauncher {
    private enum Raced<T: Sendable>: Sendable {
        case done(T)
        case watching
    }

    /// Runs `work` while watching the limits; a crossed limit cancels it and throws (the run remembers which).
    func raceLimits<T: Sendable>(_ run: LaunchRun, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        guard !run.options.limits.isEmpty else { return try await work() }
        return try await withThrowingTaskGroup(of: Raced<T>.self) { group in
            group.addTask { .done(try await work()) }
            group.addTask {
                try await self.watchLimits(run)
                return .watching
            }
            while let next = try await group.next() {
                if case .done(let value) = next {
                    group.cancelAll()
                    return value
                }
            }
            throw CancellationError()
        }
    }

    /// Sleeps (on the launcher's clock, so a test clock fires it deterministically) until the first pod crosses a
    /// limit at the rate known then; throws `LaunchStop` with `limitExceeded` when one does. Waits for a pod to exist.
    private func watchLimits(_ run: LaunchRun) async throws {
        let limits = run.options.limits
        while true {
            try Task.checkCancellation()
            let version = run.book.version
            let now = run.stopwatch.elapsed
            var first: (at: Duration, member: LaunchBook.Member, limit: PodLimitExceeded.Limit)?
            for member in run.book.members where member.podID != nil {
                guard let created = member.createdAt, let crossing = limits.crossing(costPerHour: member.costPerHour) else { continue }
                if first.map({ created + crossing.age < $0.at }) ?? true { first = (created + crossing.age, member, crossing.limit) }
            }
            guard let first, let podID = first.member.podID else {
                await run.book.changed(since: version)
                continue
            }
            if first.at > now {
                try await sleep(first.at - now)
                continue
            }
            let exceeded = PodLimitExceeded(
                limit: first.limit, podID: podID, elapsed: now - (first.member.createdAt ?? now), costPerHour: first.member.costPerHour)
            run.exceeded = exceeded
            logger(podID: podID, operation: "limits").notice("\(exceeded.limitName) crossed; stopping")
            throw LaunchStop(error: LauncherError(.limitExceeded(exceeded)))
        }
    }
}
