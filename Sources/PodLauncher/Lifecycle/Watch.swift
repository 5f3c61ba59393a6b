import Foundation
import Logging
import RunPodAPI

/// Watching a launch's pods until each is ready or failed.
///
/// Two clocks run side by side. RunPod's API is read on `pollSchedule` (it costs rate-limit budget): one `getPod`
/// while one pod is watched, one `listPods` per tick for several, never one read per pod. Each pod's app port is
/// probed every `probeInterval` through the proxy (which costs no budget), from the moment its ports are known, so
/// a pod is reported ready soon after its app answers rather than at the next read. A probe alone never makes a pod
/// ready: when the app answers before a read has shown RUNNING with ports, one read confirms it at once (at most
/// `readBudgetPerMinute` reads a minute in all, so a proxy answering early cannot drain the API budget).
extension RunPodLauncher {
    /// Watches until every pod is ready or failed; throws `LaunchStop` when `minReady` can no longer be reached.
    func watch(_ run: LaunchRun) async throws {
        let log = logger(operation: "wait")
        var reads = 0
        var nextRead: Duration?
        var recentReads: [Duration] = []
        while true {
            try Task.checkCancellation()
            if run.book.settled { return }
            let version = run.book.version
            let watched = run.book.watched
            if watched.isEmpty {
                if run.book.creatorsDone { return }
                await run.book.changed(since: version)  // Nothing to watch yet: wait for a create (or the end of them).
                continue
            }
            let now = run.stopwatch.elapsed
            // What a create answered is the first read: the next read waits for the schedule, and the app is probed at
            // once where the answer names its port. A pod known only by its ID (`waitForReady`) is read at once.
            for index in watched where run.book[index].readiness.target == nil { try seedProbe(run, index: index, now: now) }
            if nextRead == nil {
                let unknown = watched.contains { run.book[$0].pod == nil }
                if !unknown { reads = 1 }
                nextRead = unknown ? now : now + configuration.pollSchedule.delay(afterPoll: 1, rateLimit: client.rateLimit)
            }
            let due = nextRead ?? now
            recentReads.removeAll { now - $0 >= .seconds(60) }
            let confirm = watched.contains { run.book[$0].readiness.confirmRequested } && recentReads.count < configuration.readBudgetPerMinute
            if now >= due || confirm {
                reads += 1
                recentReads.append(now)
                try await readStatuses(run, watched: watched, log: log)
                nextRead = run.stopwatch.elapsed + configuration.pollSchedule.delay(afterPoll: reads, rateLimit: client.rateLimit)
            }
            try await probeDue(run)
            try checkDeadlines(run)
            // Every pod ready or failed: no read or probe is due, only the end of the creates (or a new pod) is awaited.
            if run.book.settled || run.book.watched.isEmpty { continue }
            // Sleep until the next read, probe or deadline, whichever comes first.
            let after = run.stopwatch.elapsed
            var wake = nextRead ?? after
            for index in run.book.watched {
                let member = run.book[index]
                if let probe = member.readiness.nextProbe { wake = min(wake, probe) }
                if member.readiness.confirmRequested && recentReads.count < configuration.readBudgetPerMinute { wake = after }
                if let created = member.createdAt { wake = min(wake, created + run.options.timeout) }
            }
            try await sleep(max(wake - after, .zero))
        }
    }

    /// One read of the watched pods (see `StatusSource.swift`). A transient failure (already retried by the client)
    /// leaves the last read standing: the next tick tries again, and each pod's deadline still holds.
    private func readStatuses(_ run: LaunchRun, watched: [Int], log: Logger) async throws {
        let ids = watched.compactMap { run.book[$0].podID }
        let read: StatusRead
        do {
            read = try await readStatuses(ids, client: run.client, paced: Paced(run.pacer), priority: .poll)
        } catch let error as RunPodAPIError {
            guard Self.isTransientRead(error) else { throw LaunchStop(error: map(error)) }
            log.debug("reading pods failed; polling on", metadata: ["error": "\(error.attemptLine)"])
            for index in watched { run.book.update(index) { $0.readiness.lastReadError = error.attemptLine } }
            return
        }
        for index in watched {
            guard let id = run.book[index].podID else { continue }
            let misses = run.book.update(index) { member in
                member.readiness.confirmRequested = false
                member.readiness.missingReads = read.pods[id] == nil ? member.readiness.missingReads + 1 : 0
                return member.readiness.missingReads
            }
            guard let pod = read.pods[id] else {
                // A pod only just created may not be listed yet: three misses in a row in a list mean it is gone.
                if read.absentMeansGone {
                    try fail(run, index: index, .notFound(kind: "pod", id: id))
                } else if misses >= 3 {
                    try fail(run, index: index, .podFailed(podID: id, status: .terminated, message: "the pod disappeared from RunPod's pod list"))
                }
                continue
            }
            try apply(pod, to: index, run: run)
        }
    }

    /// What one read showed for one pod: its status, whether RunPod calls it running with ports, its probe target.
    private func apply(_ pod: RunPod.Pod, to index: Int, run: LaunchRun) throws {
        let now = run.stopwatch.elapsed
        let before = run.book[index]
        let elapsed = now - (before.createdAt ?? .zero)
        run.book.update(index) { member in
            member.pod = pod
            member.status = pod.status
            if let cost = pod.cost, cost > 0 { member.costPerHour = cost }
            member.readiness.lastReadError = nil
        }
        if before.status != pod.status { emit(.statusChanged(podID: pod.id, from: before.status, to: pod.status, elapsed: elapsed)) }
        if let failure = Self.failure(of: pod) {
            try fail(run, index: index, failure)
            return
        }
        let waitingFor = Self.waitingFor(pod)
        let apiReady = Self.isRunningWithPorts(pod)
        let port = configuration.probeApp ? Self.httpPorts(of: pod).first : nil
        guard let port else {
            run.book.update(index) { member in
                member.readiness.apiReady = apiReady ? pod : nil
                if let waitingFor { member.readiness.waitingFor = waitingFor }
            }
            if apiReady { markReady(run, index: index, pod: pod, answered: nil) }
            return
        }
        guard let url = configuration.proxyURL(podID: pod.id, port: port, path: configuration.readyPath) else {
            throw LaunchStop(error: .invalidInput("The proxy URL template \"\(configuration.proxyURLTemplate)\" does not give a valid URL."))
        }
        let (announce, answered) = run.book.update(index) { member -> (Bool, Int?) in
            let wasReady = member.readiness.apiReady != nil
            member.readiness.apiReady = apiReady ? pod : nil
            if member.readiness.target == nil {
                member.readiness.target = ProbeTarget(port: port, url: url)
                member.readiness.nextProbe = now
            }
            if let waitingFor {
                member.readiness.waitingFor = waitingFor
            } else if apiReady && !wasReady {
                member.readiness.waitingFor = "app port \(port) to answer at \(url.absoluteString)"
                member.readiness.nextProbe = now  // Probe at once when RUNNING with ports first shows.
            }
            let announce = apiReady && !member.readiness.probingAnnounced
            if announce { member.readiness.probingAnnounced = true }
            return (announce, member.readiness.answered)
        }
        if announce { emit(.probing(podID: pod.id, url: url, elapsed: elapsed)) }
        // The app answered before this read showed RUNNING with ports: this read confirms it.
        if apiReady, let answered { markReady(run, index: index, pod: pod, answered: (port, answered)) }
    }

    /// Starts probing a pod whose app port the create's answer (or an earlier read) named, before any read.
    private func seedProbe(_ run: LaunchRun, index: Int, now: Duration) throws {
        guard configuration.probeApp, let pod = run.book[index].pod, let port = Self.httpPorts(of: pod).first else { return }
        guard let url = configuration.proxyURL(podID: pod.id, port: port, path: configuration.readyPath) else {
            throw LaunchStop(error: .invalidInput("The proxy URL template \"\(configuration.proxyURLTemplate)\" does not give a valid URL."))
        }
        run.book.update(index) { member in
            guard member.readiness.target == nil else { return }
            member.readiness.target = ProbeTarget(port: port, url: url)
            member.readiness.nextProbe = now
        }
    }

    /// Probes every watched pod whose probe is due, at most `concurrency` at once.
    private func probeDue(_ run: LaunchRun) async throws {
        let now = run.stopwatch.elapsed
        let due = run.book.watched.filter { index in
            let track = run.book[index].readiness
            return track.target != nil && (track.nextProbe ?? now) <= now
        }
        _ = try await Concurrently.map(due, limit: run.options.concurrency) { await self.probe(run, index: $0) }
    }

    private func probe(_ run: LaunchRun, index: Int) async {
        guard let target = run.book[index].readiness.target else { return }
        let answer = await probe(target.url)
        let interval = max(configuration.probeInterval, .milliseconds(1))  // A zero setting cannot spin.
        let now = run.stopwatch.elapsed
        let answering = Self.appAnswered(httpStatus: answer.status)
        let apiReady = run.book.update(index) { member -> RunPod.Pod? in
            member.readiness.nextProbe = now + interval
            member.readiness.lastProbe = answer.summary
            if answering {
                // Ask for one confirming read when the app starts answering, not once per probe.
                if member.readiness.answered == nil && member.readiness.apiReady == nil { member.readiness.confirmRequested = true }
                member.readiness.answered = answer.status
            } else {
                member.readiness.answered = nil
                if member.readiness.apiReady != nil {
                    member.readiness.waitingFor =
                        "app port \(target.port) to answer at \(target.url.absoluteString) (last probe: \(answer.summary))"
                }
            }
            return member.readiness.apiReady
        }
        if answering, let pod = apiReady, let status = answer.status {
            markReady(run, index: index, pod: pod, answered: (target.port, status))
        }
    }

    /// A pod is ready: RUNNING with ports from the API, and its app answering (or no app to probe).
    private func markReady(_ run: LaunchRun, index: Int, pod: RunPod.Pod, answered: (port: Int, status: Int)?) {
        let member = run.book[index]
        guard member.phase == .starting else { return }
        let elapsed = run.stopwatch.elapsed - (member.createdAt ?? .zero)
        if let answered { emit(.appAnswered(podID: pod.id, port: answered.port, httpStatus: answered.status, elapsed: elapsed)) }
        let ready = readyPod(pod, readyAfter: elapsed)
        guard run.book.ready(index, ready) else { return }
        emit(.ready(ready, index: index, count: run.book.count))
        logger(podID: pod.id, operation: "wait").info("pod ready", metadata: ["elapsed": "\(formatDuration(elapsed))"])
    }

    /// Fails every watched pod that has waited longer than the timeout since its create.
    private func checkDeadlines(_ run: LaunchRun) throws {
        let now = run.stopwatch.elapsed
        for index in run.book.watched {
            let member = run.book[index]
            guard let createdAt = member.createdAt, now - createdAt >= run.options.timeout, let id = member.podID else { continue }
            try fail(
                run, index: index,
                .timedOut(podID: id, after: run.options.timeout, lastStatus: member.status, waitingFor: member.readiness.waitingForText))
        }
    }
}
