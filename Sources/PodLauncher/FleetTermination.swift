import Foundation
import Logging
import RunPodAPI
import Synchronization

/// What a fleet cleanup achieved.
struct FleetCleanupOutcome: Sendable {
    var terminated: [String] = []
    var leftRunning: [String] = []
    var errors: [String: LauncherError] = [:]
}

/// What a cleanup has confirmed so far, readable after its deadline cut it short.
final class FleetCleanupLedger: Sendable {
    private struct State {
        var known: [String]
        var confirmed: [String] = []
        var errors: [String: LauncherError] = [:]
    }

    private let state: Mutex<State>

    init(known: [String]) { state = Mutex(State(known: known)) }

    func add(known ids: [String]) {
        state.withLock { state in
            for id in ids where !state.known.contains(id) { state.known.append(id) }
        }
    }
    func confirm(_ id: String) { state.withLock { if !$0.confirmed.contains(id) { $0.confirmed.append(id) } } }
    func fail(_ id: String, _ error: LauncherError) { state.withLock { $0.errors[id] = error } }

    var outcome: FleetCleanupOutcome {
        state.withLock { state in
            FleetCleanupOutcome(
                terminated: state.known.filter(state.confirmed.contains), leftRunning: state.known.filter { !state.confirmed.contains($0) },
                errors: state.errors)
        }
    }
}

extension RunPodLauncher {
    /// Terminates pods of a fleet and confirms them gone, shielded from the caller's cancellation.
    ///
    /// Deletes go out at most `concurrency` at a time, paced (cleanup may spend the budget launches leave
    /// aside); then one `GET /v2/pods` per tick confirms them gone, instead of one read per pod. Creates that were
    /// sent are looked for by identity first (`lookFor`): a pod whose create answer was lost, or a second pod. The
    /// deadline is `cleanupDeadline`, stretched by the time the rate limit needs for this many deletes.
    func cleanUpFleet(podIDs: [String], lookFor unknown: [PodIdentity], reason: String, run: FleetRun) async -> FleetCleanupOutcome {
        let ledger = FleetCleanupLedger(known: podIDs)
        var deadline = configuration.cleanupDeadline
        if let policy = run.pacer.policy, policy.quota > 0 {
            deadline += policy.window / policy.quota * (2 * (podIDs.count + unknown.count) + 10)
        }
        let finished = await shielded(deadline: deadline) {
            var ids = podIDs
            if !unknown.isEmpty {
                // Every create sent, looked for by identity: one never answered (the pod may show up a moment
                // later, so up to three looks a poll interval apart), or a second pod a late create made.
                var missing = unknown
                for attempt in 0..<3 where !missing.isEmpty {
                    if attempt > 0 { try? await self.sleep(self.configuration.pollSchedule.initial) }
                    guard let pods = try? await run.pacer.paced(priority: .cleanup, { try await self.client.listPods() }) else { continue }
                    for identity in missing {
                        for pod in pods where identity.matches(pod) && !ids.contains(pod.id) {
                            ids.append(pod.id)
                            // Found only now: recorded, so the ledger knows it if the terminate below fails.
                            self.emit(.created(Pod(pod), launchID: identity.launchID))
                        }
                    }
                    missing.removeAll { identity in pods.contains(where: identity.matches) }
                }
                ledger.add(known: ids)
            }
            guard !ids.isEmpty else { return true }
            run.emit(.terminating(count: ids.count, reason: reason))
            let deleted = await self.deleteFleetPods(ids, run: run, ledger: ledger)
            await self.confirmFleetGone(deleted, run: run, ledger: ledger)
            return true
        }
        var outcome = ledger.outcome
        if finished == nil {
            for id in outcome.leftRunning where outcome.errors[id] == nil {
                outcome.errors[id] = .timedOut(podID: id, after: deadline, lastStatus: nil, waitingFor: "RunPod to confirm the pod terminated")
            }
        }
        if !outcome.leftRunning.isEmpty {
            logger(operation: "fleet").error("cleanup left pods running", metadata: ["pods": "\(outcome.leftRunning.joined(separator: ","))"])
        }
        return outcome
    }

    /// Sends the deletes; returns the pods whose delete RunPod accepted (those it did not know are confirmed at once).
    private func deleteFleetPods(
        _ ids: [String], run: FleetRun, ledger: FleetCleanupLedger
    ) async -> [String] {
        await withTaskGroup(of: String?.self) { group in
            var next = 0
            func addNext() {
                guard next < ids.count else { return }
                let id = ids[next]
                next += 1
                group.addTask {
                    do {
                        try await run.pacer.paced(priority: .cleanup) { try await self.client.deletePod(id: id) }
                        return id
                    } catch let error as RunPodAPIError where error.status == 404 {
                        // Unknown on the first try: already gone. After a retry: our earlier try went through.
                        ledger.confirm(id)
                        self.confirmedGone(id, run: run)
                        return nil
                    } catch let error as RunPodAPIError {
                        ledger.fail(id, self.map(error, notFound: ("pod", id)))
                        return nil
                    } catch {
                        ledger.fail(id, .invalidInput("terminate of \(id) stopped: \(error)"))
                        return nil
                    }
                }
            }
            for _ in 0..<max(1, run.options.concurrency) { addNext() }
            var deleted: [String] = []
            for await id in group {
                if let id { deleted.append(id) }
                addNext()
            }
            return deleted
        }
    }

    /// RunPod confirmed `id` gone: the fleet's caller hears it, and the ledger forgets the pod.
    private func confirmedGone(_ id: String, run: FleetRun) {
        emit(.terminated(podID: id))
        run.emit(.terminated(podID: id))
    }

    /// Lists pods until none of `ids` is there (or all are TERMINATED), or `terminateTimeout` has passed.
    private func confirmFleetGone(_ ids: [String], run: FleetRun, ledger: FleetCleanupLedger) async {
        var pending = Set(ids)
        let stopwatch = Stopwatch(clock: configuration.clock)
        var poll = 0
        var lastStatus: [String: RunPod.PodStatus] = [:]
        while !pending.isEmpty {
            poll += 1
            if let pods = try? await run.pacer.paced(priority: .cleanup, { try await self.client.listPods() }) {
                let alive = Dictionary(pods.filter { $0.status != .terminated }.map { ($0.id, $0.status) }, uniquingKeysWith: { first, _ in first })
                for id in pending where alive[id] == nil {
                    pending.remove(id)
                    ledger.confirm(id)
                    confirmedGone(id, run: run)
                }
                lastStatus.merge(alive) { _, new in new }
            }
            guard !pending.isEmpty else { return }
            let remaining = configuration.terminateTimeout - stopwatch.elapsed
            guard remaining > .zero else { break }
            do {
                try await sleep(min(configuration.pollSchedule.delay(afterPoll: poll), remaining))
            } catch {
                break
            }
        }
        for id in pending {
            ledger.fail(
                id,
                .timedOut(
                    podID: id, after: configuration.terminateTimeout, lastStatus: lastStatus[id],
                    waitingFor: "RunPod to confirm the pod terminated (it may still bill: check the RunPod console)"))
        }
    }
}
