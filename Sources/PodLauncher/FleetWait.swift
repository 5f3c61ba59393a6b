import Foundation
import Logging
import RunPodAPI

/// Waiting for a fleet: one `GET /v2/pods` per tick for every pod's status (not one read per pod), then each running
/// pod's app port probed through the proxy (which costs no API budget).
extension RunPodLauncher {
    /// Polls until every pod is ready or failed. Throws `FleetStop` when the fleet can no longer reach `minReady`.
    func waitForFleet(_ run: FleetRun) async throws {
        var tick = 0
        var sinceList: Stopwatch?
        var listDelay = Duration.zero
        var changes = run.book.changes.makeAsyncIterator()
        while true {
            try Task.checkCancellation()
            if run.book.creatorsDone && run.book.settled { return }
            var members = run.book.members
            var waiting = members.indices.filter { [.starting, .probing].contains(members[$0].phase) }
            if waiting.isEmpty && !run.book.creatorsDone {
                // Nothing to watch yet: wait for a create (or the end of the creates).
                _ = await changes.next()
                try Task.checkCancellation()
                members = run.book.members
                waiting = members.indices.filter { [.starting, .probing].contains(members[$0].phase) }
            }
            if !waiting.isEmpty, sinceList.map({ $0.elapsed >= listDelay }) ?? true {
                tick += 1
                try await readFleetStatuses(run, indices: waiting)
                sinceList = Stopwatch(clock: configuration.clock)
                // The pacer keeps the fleet inside the rate limit, so the schedule itself ignores the budget here.
                // Once every pod runs, its status is only re-read now and then (a pod can still die while its app starts).
                let starting = run.book.members.contains { $0.phase == .starting }
                listDelay = starting ? configuration.pollSchedule.delay(afterPoll: tick) : configuration.pollSchedule.maximum
            }
            try await probeFleet(run)
            try checkFleetDeadlines(run)
            if run.book.creatorsDone && run.book.settled { return }
            let probing = run.book.members.contains { $0.phase == .probing }
            let untilList = max(listDelay - (sinceList?.elapsed ?? .zero), .milliseconds(1))
            try await sleep(probing ? min(configuration.probeInterval, untilList) : waiting.isEmpty ? configuration.pollSchedule.initial : untilList)
        }
    }

    /// One list call: records each waiting pod's status; fails pods that died or vanished.
    private func readFleetStatuses(_ run: FleetRun, indices: [Int]) async throws {
        let pods: [RunPod.Pod]
        do {
            pods = try await run.pacer.paced(priority: .poll) { try await client.listPods() }
        } catch let error as RunPodAPIError {
            switch error.kind {
            case .http(401), .http(403): throw FleetStop(error: map(error))
            default:
                // Already retried by the client; the next tick tries again, and each pod's deadline still holds.
                logger(operation: "fleet").debug("listing pods failed; polling on", metadata: ["error": "\(error.attemptLine)"])
                return
            }
        }
        let byID = Dictionary(pods.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for index in indices {
            guard let id = run.book.members[index].pod?.id else { continue }
            guard let pod = byID[id] else {
                // A pod only just created may not be listed yet; three misses in a row mean it is gone.
                let misses = run.book.update(index: index) { member in
                    member.missingReads += 1
                    return member.missingReads
                }
                if misses >= 3 {
                    try run.fail(index: index, .podFailed(podID: id, status: .terminated, message: "the pod disappeared from RunPod's pod list"))
                }
                continue
            }
            let changed = run.book.update(index: index) { member -> Bool in
                member.missingReads = 0
                member.raw = pod
                defer { member.status = pod.status }
                return member.status != pod.status
            }
            if changed { run.emit(.statusChanged(index: index, podID: id, status: pod.status)) }
            switch pod.status {
            case .error, .exited, .terminated:
                try run.fail(index: index, .podFailed(podID: id, status: pod.status, message: Self.failureMessage(pod.status)))
            case .running where !(pod.runtime?.ports?.isEmpty ?? true):
                if run.book.members[index].phase == .starting {
                    if configuration.probeApp, !Self.httpPorts(of: pod).isEmpty {
                        run.book.update(index: index) { $0.phase = .probing }
                    } else {
                        try markReady(run, index: index, pod: pod)
                    }
                }
            default: break
            }
        }
    }

    /// Probes every pod whose container runs, at most `concurrency` at once.
    private func probeFleet(_ run: FleetRun) async throws {
        let members = run.book.members
        let probing = members.indices.filter { members[$0].phase == .probing }
        guard !probing.isEmpty else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func addNext() {
                guard next < probing.count else { return }
                let index = probing[next]
                next += 1
                group.addTask { try await self.probeMember(run, index: index) }
            }
            for _ in 0..<run.options.concurrency { addNext() }
            while try await group.next() != nil { addNext() }
        }
    }

    private func probeMember(_ run: FleetRun, index: Int) async throws {
        guard let pod = run.book.members[index].raw, let port = Self.httpPorts(of: pod).first,
            let url = configuration.proxyURL(podID: pod.id, port: port, path: configuration.readyPath)
        else { return }
        let answer = await probe(url)
        run.book.update(index: index) { $0.lastProbe = answer.summary }
        if let status = answer.status, status < 500 { try markReady(run, index: index, pod: pod) }
    }

    private func markReady(_ run: FleetRun, index: Int, pod: RunPod.Pod) throws {
        var urls: [Int: URL] = [:]
        for port in Self.httpPorts(of: pod) { urls[port] = configuration.proxyURL(podID: pod.id, port: port) }
        let createdAt = run.book.members[index].createdAt ?? .zero
        let ready = ReadyPod(
            pod: Pod(pod), urls: urls, sshCommand: pod.ssh?.direct?.command ?? pod.ssh?.proxy?.command,
            readyAfter: run.stopwatch.elapsed - createdAt)
        let count = run.book.ready(index: index, ready)
        run.emit(.ready(index: index, pod: ready, ready: count, total: run.book.count))
    }

    /// Fails every pod that has waited longer than the timeout since its create.
    private func checkFleetDeadlines(_ run: FleetRun) throws {
        let now = run.stopwatch.elapsed
        for (index, member) in run.book.members.enumerated() where [.starting, .probing].contains(member.phase) {
            guard let createdAt = member.createdAt, now - createdAt >= run.options.timeout, let id = member.pod?.id else { continue }
            let waitingFor =
                member.phase == .probing
                ? "the app port to answer (last probe: \(member.lastProbe))"
                : "RunPod to report the pod RUNNING with its ports (status \(member.status?.rawValue ?? "unknown"))"
            try run.fail(index: index, .timedOut(podID: id, after: run.options.timeout, lastStatus: member.status, waitingFor: waitingFor))
        }
    }
}
