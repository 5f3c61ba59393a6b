import Foundation
import Logging
import RunPodAPI
import Synchronization

/// What a cleanup achieved, pod by pod.
struct ReapOutcome: Sendable {
    /// Confirmed gone after a terminate this cleanup sent, in input order.
    var terminated: [String] = []
    /// Unknown to RunPod from the first try (already gone, or never existed).
    var alreadyGone: [String] = []
    /// Not confirmed gone: they may still bill.
    var leftRunning: [String] = []
    /// Why each of `leftRunning` could not be confirmed gone.
    var errors: [String: LauncherError] = [:]
    /// When each pod was confirmed gone.
    var endedAt: [String: Date] = [:]
    /// Pods whose create was never answered, found by their identity (and then terminated like the others).
    var found: [String] = []
}

/// A cleanup's outcome so far, shared by its tasks and readable after its deadline cut it short.
final class ReapState: Sendable {
    private let outcome = Mutex(ReapOutcome())

    func withLock<R>(_ body: (inout ReapOutcome) -> R) -> R { outcome.withLock { body(&$0) } }
}

/// The reaper: the one way pods end, used after success, failure, timeout, a crossed limit, Ctrl-C and `terminate`.
///
/// It looks for pods whose create was never answered (by their identity), sends the terminates (at most
/// `concurrency` at once, paced: cleanup may spend the budget launches leave aside), keeps trying through RunPod's
/// bad moments (5xx, 429, lost connections, unreadable answers) until its deadline rather than for one call's retry
/// budget — giving up leaves a pod billing — and then reads back until RunPod confirms each gone (one `getPod` for
/// one pod, one `listPods` per tick for several). It runs shielded from the caller's cancellation, bounded by
/// `cleanupDeadline` (stretched by the time RunPod's rate limit needs for this many calls).
extension RunPodLauncher {
    func reap(podIDs: [String], lookFor unanswered: [PodIdentity], reason: String, pacer: RatePacer?, concurrency: Int) async -> ReapOutcome {
        let state = ReapState()
        var stretched = configuration.cleanupDeadline
        if let policy = pacer?.policy, policy.quota > 0 {
            stretched += policy.window / policy.quota * (2 * (podIDs.count + unanswered.count) + 10)
        }
        let deadline = stretched
        let paced = Paced(pacer)
        let finished = await shielded(deadline: deadline) {
            var ids = podIDs
            if !unanswered.isEmpty {
                let found = await self.find(unanswered, known: ids, paced: paced)
                state.withLock { $0.found = found }
                ids += found
            }
            guard !ids.isEmpty else { return true }
            let deleted = await self.sendTerminates(ids, reason: reason, paced: paced, concurrency: concurrency, deadline: deadline, state: state)
            await self.confirmGone(deleted, paced: paced, state: state)
            return true
        }
        return state.withLock { outcome in
            var all = podIDs + outcome.found
            for id in outcome.errors.keys where !all.contains(id) { all.append(id) }
            let gone = Set(outcome.terminated + outcome.alreadyGone)
            outcome.leftRunning = all.filter { !gone.contains($0) }
            if finished == nil {
                for id in outcome.leftRunning where outcome.errors[id] == nil {
                    outcome.errors[id] = .timedOut(podID: id, after: deadline, lastStatus: nil, waitingFor: "RunPod to confirm the pod terminated")
                }
            }
            outcome.terminated = all.filter(outcome.terminated.contains)
            if !outcome.leftRunning.isEmpty {
                logger(operation: "cleanup").error("cleanup left pods running", metadata: ["pods": "\(outcome.leftRunning.joined(separator: ","))"])
            }
            return outcome
        }
    }

    /// Every create sent without an answer, looked for by identity: the pod may show up a moment after the create
    /// failed, so up to three looks a poll interval apart. Found pods are announced, so the ledger knows them.
    private func find(_ unanswered: [PodIdentity], known: [String], paced: Paced) async -> [String] {
        var found: [String] = []
        var missing = unanswered
        for attempt in 0..<3 where !missing.isEmpty {
            if attempt > 0 { try? await sleep(configuration.pollSchedule.initial) }
            guard let pods = try? await paced(priority: .cleanup, { try await self.client.listPods() }) else { continue }
            for identity in missing {
                for pod in pods where identity.matches(pod) && !known.contains(pod.id) && !found.contains(pod.id) {
                    found.append(pod.id)
                    emit(.created(Pod(pod), launchID: identity.launchID, index: 0, count: 1))
                }
            }
            missing.removeAll { identity in pods.contains(where: identity.matches) }
        }
        return found
    }

    /// Sends the terminates; returns the pods whose terminate RunPod accepted.
    private func sendTerminates(
        _ ids: [String], reason: String, paced: Paced, concurrency: Int, deadline: Duration, state: ReapState
    ) async -> [String] {
        let wallClock = ContinuousClock()
        let started = wallClock.now
        let accepted =
            (try? await Concurrently.map(ids, limit: concurrency) { id -> String? in
                let log = self.logger(podID: id, operation: "cleanup")
                self.emit(.terminating(podID: id, reason: reason))
                var pause: Duration = .seconds(1)
                var sent = false
                while true {
                    do {
                        try await paced(priority: .cleanup) { try await self.client.deletePod(id: id) }
                        return id
                    } catch let error as RunPodAPIError where error.status == 404 {
                        // Unknown on the very first try: already gone. After a retry: an earlier try went through.
                        if sent || error.attempts.count > 1 {
                            self.confirmed(id, state: state)
                        } else {
                            state.withLock { $0.alreadyGone.append(id) }
                            self.forgetInLedger(podID: id)
                        }
                        return nil
                    } catch {
                        let failure = Self.normalize(error)
                        sent = true
                        guard failure.isTransient, wallClock.now - started + pause < deadline else {
                            state.withLock { $0.errors[id] = failure }
                            return nil
                        }
                        log.warning("terminate failed; trying again", metadata: ["error": "\(failure.reasonDescription)", "in": "\(pause)"])
                        do { try await self.configuration.clock.sleep(for: pause) } catch { return nil }
                        pause = min(pause * 2, .seconds(10))
                    }
                }
            }) ?? []
        return accepted.compactMap { $0 }
    }

    /// Reads back until none of `ids` is there (or TERMINATED), or `terminateTimeout` has passed.
    private func confirmGone(_ ids: [String], paced: Paced, state: ReapState) async {
        var pending = ids
        let stopwatch = Stopwatch(clock: configuration.clock)
        var poll = 0
        var lastStatus: [String: RunPod.PodStatus] = [:]
        while !pending.isEmpty {
            poll += 1
            do {
                // Gone: not known to RunPod any more, or TERMINATED.
                let read = try await readStatuses(pending, client: client, paced: paced, priority: .cleanup)
                for id in pending {
                    if let pod = read.pods[id], pod.status != .terminated {
                        lastStatus[id] = pod.status
                    } else {
                        confirmed(id, state: state)
                    }
                }
                pending.removeAll { id in read.pods[id].map { $0.status == .terminated } ?? true }
            } catch let error as RunPodAPIError where !Self.isTransientRead(error) {
                state.withLock { outcome in for id in pending { outcome.errors[id] = self.map(error, notFound: ("pod", id)) } }
                return
            } catch {
                // Transient: read again on the schedule.
            }
            guard !pending.isEmpty else { return }
            let remaining = configuration.terminateTimeout - stopwatch.elapsed
            guard remaining > .zero else { break }
            do {
                try await sleep(min(configuration.pollSchedule.delay(afterPoll: poll, rateLimit: client.rateLimit), remaining))
            } catch {
                break
            }
        }
        state.withLock { outcome in
            for id in pending where outcome.errors[id] == nil {
                outcome.errors[id] = .timedOut(
                    podID: id, after: configuration.terminateTimeout, lastStatus: lastStatus[id],
                    waitingFor: "RunPod to confirm the pod terminated (it may still bill: check the RunPod console)")
            }
        }
    }

    /// RunPod confirmed `id` gone: the caller hears it, and the ledger forgets the pod.
    private func confirmed(_ id: String, state: ReapState) {
        state.withLock { outcome in
            outcome.terminated.append(id)
            outcome.endedAt[id] = Date()
        }
        emit(.terminated(podID: id))
        logger(podID: id, operation: "cleanup").info("terminated")
    }

    /// Runs `work` in an unstructured task, so the caller's cancellation does not stop it, and gives up waiting
    /// after `deadline` (cancelling the work). Returns nil on deadline. The deadline is wall-clock time on purpose:
    /// it is a safety net for the real world, not part of the schedule a test clock speeds up.
    func shielded<R: Sendable>(deadline: Duration, _ work: @escaping @Sendable () async -> R) async -> R? {
        let task = Task { () -> R? in
            await withTaskGroup(of: R?.self) { group in
                group.addTask { await work() }
                group.addTask {
                    try? await ContinuousClock().sleep(for: deadline)
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }
        return await task.value
    }
}
