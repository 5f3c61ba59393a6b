import Foundation
import Logging
import RunPodAPI

/// Termination, confirmed: `DELETE /v2/pods/{id}`, then read the pod back until RunPod says it is gone.
extension RunPodLauncher {
    /// Terminates the pod and reads it back until RunPod confirms it gone (404 or TERMINATED).
    ///
    /// Throws `notFound` when RunPod does not know the ID, and `timedOut` when it does not confirm within
    /// `configuration.terminateTimeout`.
    public func terminatePod(podID: String, reason: String = "requested") async throws {
        let log = logger(podID: podID, operation: "terminate")
        emit(.terminating(podID: podID, reason: reason))
        log.info("terminating", metadata: ["reason": "\(reason)"])
        do {
            try await client.deletePod(id: podID)
        } catch let error as RunPodAPIError {
            // A 404 on the first try means an unknown ID; after a retry it means our earlier try went through.
            if error.status == 404 {
                if error.attempts.count <= 1 { throw LauncherError.notFound(kind: "pod", id: podID) }
            } else {
                throw map(error, notFound: ("pod", podID))
            }
        }
        try await confirmGone(podID: podID, log: log)
        emit(.terminated(podID: podID))
        log.info("terminated")
    }

    private func confirmGone(podID: String, log: Logger) async throws {
        let stopwatch = Stopwatch(clock: configuration.clock)
        var lastStatus: RunPod.PodStatus?
        var poll = 0
        while true {
            poll += 1
            do {
                let pod = try await client.getPod(id: podID)
                lastStatus = pod.status
                if pod.status == .terminated { return }
            } catch let error as RunPodAPIError {
                if error.status == 404 { return }
                switch error.kind {
                case .http(429), .http(500...), .transport, .timeout, .malformedResponse:
                    log.debug("read-back failed; trying again", metadata: ["error": "\(error.attemptLine)"])
                case .http:
                    throw map(error, notFound: ("pod", podID))
                }
            }
            let remaining = configuration.terminateTimeout - stopwatch.elapsed
            guard remaining > .zero else {
                throw LauncherError.timedOut(
                    podID: podID, after: configuration.terminateTimeout, lastStatus: lastStatus,
                    waitingFor: "RunPod to confirm the pod terminated (it may still bill: check the RunPod console)")
            }
            try await sleep(min(configuration.pollSchedule.delay(afterPoll: poll, rateLimit: client.rateLimit), remaining))
        }
    }

    /// The outcome of terminating one pod of several.
    public struct TerminationResult: Sendable {
        /// The pod.
        public var podID: String
        /// Nil when RunPod confirmed the pod gone.
        public var error: LauncherError?
    }

    /// Terminates several pods concurrently (at most `maxConcurrent` at a time) and reports each outcome, in input order.
    /// Never throws for one pod's failure; only cancellation ends it early.
    public func terminatePods(_ podIDs: [String], reason: String = "requested", maxConcurrent: Int = 4) async -> [TerminationResult] {
        var results: [Int: TerminationResult] = [:]
        await withTaskGroup(of: (Int, TerminationResult).self) { group in
            var next = 0
            func addNext() {
                guard next < podIDs.count else { return }
                let index = next
                let id = podIDs[index]
                next += 1
                group.addTask {
                    do {
                        try await self.terminatePod(podID: id, reason: reason)
                        return (index, TerminationResult(podID: id, error: nil))
                    } catch let error as LauncherError {
                        return (index, TerminationResult(podID: id, error: error))
                    } catch {
                        return (index, TerminationResult(podID: id, error: .invalidInput("terminate of \(id) stopped: \(error)")))
                    }
                }
            }
            for _ in 0..<max(1, maxConcurrent) { addNext() }
            for await (index, result) in group {
                results[index] = result
                addNext()
            }
        }
        return podIDs.indices.compactMap { results[$0] }
    }
}
