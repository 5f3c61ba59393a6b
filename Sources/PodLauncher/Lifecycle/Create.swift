import Foundation
import Logging
import RunPodAPI
import Synchronization

/// The candidates a launch still has, shared by its pods: one that RunPod turns down (400 no capacity, 403) is
/// dropped for every later pod, so N pods do not each learn it again.
final class OpenCandidates: Sendable {
    private struct State {
        var candidates: [PlacementCandidate]
        var tried: [LauncherError.Attempt]
    }

    let plan: PlacementPlan
    private let state: Mutex<State>

    init(_ plan: PlacementPlan) {
        self.plan = plan
        state = Mutex(State(candidates: plan.candidates, tried: plan.tried))
    }

    /// The first candidate still open.
    var next: PlacementCandidate? { state.withLock { $0.candidates.first } }

    /// RunPod turned `candidate` down: drop it for every later pod.
    func reject(_ candidate: PlacementCandidate, status: Int, detail: String) {
        state.withLock { state in
            guard state.candidates.contains(candidate) else { return }
            state.candidates.removeAll { $0 == candidate }
            state.tried.append(.init(candidate: candidate, status: status, detail: detail))
        }
    }

    /// What was tried, for the no-capacity error.
    var tried: [LauncherError.Attempt] { state.withLock { $0.tried } }
}

/// Creating a launch's pods: placement read once per try, then one `createPod` per pod and candidate, following
/// RunPod's status table; a create whose answer was lost is adopted, never sent twice. With `waitForCapacity`, pods
/// that found no capacity are tried again (placement read anew, the volume chosen anew) until the wait is spent.
extension RunPodLauncher {
    /// Creates every pod of the launch (at most `concurrency` creates in flight).
    func createAll(_ run: LaunchRun) async throws {
        defer { run.book.finishCreating() }
        let options = run.options
        let stopwatch = Stopwatch(clock: configuration.clock)
        let log = logger(operation: "capacity")
        var tries = 0
        while true {
            tries += 1
            try Task.checkCancellation()
            var spec = run.spec
            if !options.networkVolumeIDs.isEmpty {
                spec.networkVolumeID = try await chooseNetworkVolume(options.networkVolumeIDs, for: spec, pacer: run.pacer).volumeID
            }
            let open = OpenCandidates(try await planPlacement(spec, pacer: run.pacer))
            let unplaced = try await createPending(run, spec: spec, open: open)
            guard !unplaced.isEmpty else { return }

            let plan = open.plan
            let waited = stopwatch.elapsed
            if let wait = options.waitForCapacity, wait - waited > .zero {
                let reason = LauncherError.Reason.noCapacity(dataCenterID: plan.dataCenterID, tried: open.tried, available: [])
                let delay = min(options.capacityBackoff.delay(afterTry: tries, rateLimit: client.rateLimit), wait - waited)
                let what = Self.waitingFor(reason)
                emit(
                    .retrying(
                        operation: "capacity", attempt: tries + 1, delay: delay,
                        reason: "\(what); waited \(DurationText.format(waited)) of \(DurationText.format(wait))"))
                log.info("waiting for capacity", metadata: ["for": "\(what)", "next": "\(DurationText.format(delay))"])
                try await sleep(delay)
                continue
            }
            // Nothing fitted: say what is there now (best effort: the error matters more than this read).
            let available =
                (try? await run.pacer.paced {
                    try await self.availableNow(count: spec.gpuCount, clouds: plan.clouds, dataCenterID: plan.dataCenterID)
                }) ?? []
            let error = LauncherError(
                .noCapacity(
                    dataCenterID: plan.dataCenterID, tried: open.tried, available: available,
                    waited: options.waitForCapacity.map { _ in (waited, tries: tries) }))
            for index in unplaced { try fail(run, index: index, error) }
            return
        }
    }

    /// Creates the pending pods; returns those for which no candidate was left.
    private func createPending(_ run: LaunchRun, spec: LaunchSpec, open: OpenCandidates) async throws -> [Int] {
        let unplaced = try await Concurrently.map(run.book.pending, limit: run.options.concurrency) { index -> Int? in
            do {
                return try await self.createOne(run, index: index, spec: spec, open: open) ? nil : index
            } catch let stop as LaunchStop {
                throw stop
            } catch  where error is CancellationError || Task.isCancelled {
                throw error
            } catch {
                try self.fail(run, index: index, Self.normalize(error))
                return nil
            }
        }
        return unplaced.compactMap { $0 }
    }

    /// Creates one pod, trying the open candidates in order. Returns false when no candidate is left (the pod goes
    /// back to pending); throws when the create failed for good.
    private func createOne(_ run: LaunchRun, index: Int, spec: LaunchSpec, open: OpenCandidates) async throws -> Bool {
        let identity = run.book[index].identity
        let policy = configuration.createRetryPolicy
        var attempt = 0
        var history: [String] = []
        var stopwatch = Stopwatch(clock: configuration.clock)
        var current: PlacementCandidate?
        while let candidate = open.next {
            if candidate != current {
                current = candidate
                attempt = 0
                history = []
                stopwatch = Stopwatch(clock: configuration.clock)
            }
            attempt += 1
            try Task.checkCancellation()
            let request = createRequest(spec, identity: identity, candidate: candidate)
            emit(.creating(candidate, index: index))
            run.book.update(index) { member in
                member.phase = .creating
                member.createSent = true
            }
            let failure: RunPodAPIError
            do {
                let client = run.client
                let book = run.book
                let started = run.stopwatch
                let pod = try await run.pacer.paced {
                    // A sent create runs to its answer even when the launch is cancelled meanwhile (Ctrl-C): RunPod applies
                    // a create whose client went away, and only the answer (bounded by the request timeout) names the pod
                    // to terminate. Listing by identity right after a cancel can run before RunPod applied it.
                    try await Task {
                        let pod = try await client.createPod(request)
                        book.created(index, pod: pod, at: started.elapsed)
                        return pod
                    }.value
                }
                announce(run, index: index, pod: pod)
                logger(podID: pod.id, operation: "launch").info("pod created", metadata: ["gpu": "\(candidate.gpuTypeID)"])
                return true
            } catch let error as RunPodAPIError {
                failure = error
            }
            history.append(failure.attemptLine)
            let detail = failure.problem?.detail ?? failure.message
            switch failure.kind {
            case .http(400), .http(403):
                open.reject(candidate, status: failure.status ?? 0, detail: detail)
                emit(.candidateRejected(candidate, status: failure.status ?? 0, detail: detail))
                run.book.update(index) { $0.phase = .pending }
            case .http(401), .http(402):
                throw LaunchStop(error: map(failure))
            case .http(422):
                let errors = failure.problem?.errors ?? []
                throw LaunchStop(
                    error: .invalidInput(
                        "RunPod rejected the create request as invalid (422: \(detail))"
                            + (errors.isEmpty ? "" : ": " + errors.joined(separator: "; "))
                            + ". This is a bug in runpod-launcher or an unsupported option; please report it."))
            case .http(404):
                throw LaunchStop(error: map(failure, notFound: request.mounts?.network?.first.map { ("network volume", $0.volumeId) }))
            case .timeout,
                .transport where failure.mayHaveBeenApplied:
                // The create reached RunPod and no answer came back: RunPod may still be working on it, and a second
                // create sent now could make a second pod when the first one lands. Wait for this one instead (as long
                // again as the request was given), adopt it, and never send another.
                try await awaitUnansweredCreate(run, index: index, after: failure)
                return true
            case .http(429), .http(500...), .transport, .malformedResponse:
                // The pod may exist even though the answer says otherwise (a gateway 5xx after the create went through,
                // an unreadable 201): look before sending another create.
                if failure.mayHaveBeenApplied || failure.status.map({ $0 >= 500 }) == true || failure.kind == .malformedResponse {
                    if try await findCreatedPod(run, index: index, after: failure) { return true }
                }
                if failure.kind == .malformedResponse && !failure.mayHaveBeenApplied { throw map(failure) }
                guard let delay = policy.delay(beforeRetry: attempt, retryAfter: failure.retryAfter, elapsed: stopwatch.elapsed) else {
                    var final = failure
                    final.attempts = history
                    final.message = "createPod kept failing for \(candidate) after \(attempt) tries: \(failure.message)"
                    throw map(final)
                }
                emit(.retrying(operation: "createPod", attempt: attempt + 1, delay: delay, reason: failure.attemptLine))
                try await sleep(delay)
            case .http:
                throw map(failure)
            }
        }
        run.book.update(index) { $0.phase = .pending }
        return false
    }

    /// Tells the pod's observers it exists (the ledger records it before anyone waits on it).
    private func announce(_ run: LaunchRun, index: Int, pod: RunPod.Pod) {
        emit(.created(Pod(pod), launchID: run.book[index].identity.launchID, index: index, count: run.book.count))
    }

    /// After a create that got no answer: looks for this pod until it shows up or the settle time passes (the
    /// request timeout again, on the wall clock: it is RunPod's processing time, not part of a schedule a test clock
    /// speeds up). Throws `unreachable` (or the listing's error) when the pod does not show up; no second create is
    /// sent, and the launch's cleanup looks once more before it gives up.
    private func awaitUnansweredCreate(_ run: LaunchRun, index: Int, after failure: RunPodAPIError) async throws {
        let settle = client.requestTimeout
        let wallClock = ContinuousClock()
        let start = wallClock.now
        var looks = 0
        var lookupError: LauncherError?
        while true {
            looks += 1
            do {
                if try await findCreatedPod(run, index: index, after: failure) { return }
                lookupError = nil
            } catch let error as LauncherError where error.isTransient {
                lookupError = error  // Look again.
            }
            let remaining = settle - (wallClock.now - start)
            guard remaining > .zero else { break }
            try await wallClock.sleep(for: min(configuration.pollSchedule.delay(afterPoll: looks, rateLimit: client.rateLimit), remaining))
        }
        if let lookupError { throw lookupError }
        let name = run.book[index].identity.name
        var final = failure
        final.message =
            "createPod got no answer for pod \"\(name)\" (\(failure.message)), and the pod did not show up within "
            + "\(formatDuration(settle)) more. No second create was sent (it could make a second pod); if the pod appears later, "
            + "`runpod-launcher list --mine` shows it and `runpod-launcher terminate ID` removes it."
        throw map(final)
    }

    /// Lists pods and adopts this launch's pod if RunPod has it.
    private func findCreatedPod(_ run: LaunchRun, index: Int, after failure: RunPodAPIError) async throws -> Bool {
        let identity = run.book[index].identity
        do {
            let pods = try await run.pacer.paced { try await run.client.listPods() }
            guard let pod = pods.first(where: identity.matches) else { return false }
            logger(podID: pod.id, operation: "launch").notice("adopted pod created by a create whose answer was lost")
            if run.book.created(index, pod: pod, at: run.stopwatch.elapsed) { announce(run, index: index, pod: pod) }
            return true
        } catch let error as RunPodAPIError {
            var combined = error
            combined.message =
                "a create for pod \"\(identity.name)\" may have gone through (\(failure.message)), and listing pods to check failed: "
                + "\(error.message). Check with `runpod-launcher list --mine` before launching again."
            throw map(combined)
        }
    }

    /// `no stock for NVIDIA A40, NVIDIA L40S in EU-RO-1`: what a capacity wait is waiting for.
    static func waitingFor(_ reason: LauncherError.Reason) -> String {
        guard case .noCapacity(let dataCenterID, let tried, _, _) = reason else { return LauncherError(reason).reasonDescription }
        var names: [String] = []
        for attempt in tried where !names.contains(attempt.candidate.gpuTypeID) { names.append(attempt.candidate.gpuTypeID) }
        let place = dataCenterID.map { " in \($0)" } ?? ""
        return "no stock for \(names.isEmpty ? "the requested GPUs" : names.joined(separator: ", "))\(place)"
    }
}
