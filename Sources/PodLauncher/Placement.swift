import Foundation
import Logging
import RunPodAPI

/// Placement, RunPod's read-then-create pattern: the volume's data center, the catalog's stock there, the user's
/// GPU priority list, then one `createPod` per candidate until RunPod answers 201 (its status table decides the rest).
extension RunPodLauncher {
    /// Steps 1–3 of placement (volume → data center → catalog → candidates in the user's priority order), shared by
    /// a single launch and a fleet (which plans once for all its pods).
    func planPlacement(_ spec: LaunchSpec) async throws -> (dataCenterID: String?, candidates: [PlacementCandidate], tried: [LauncherError.Attempt]) {
        try Validation.check(spec)
        let log = logger(operation: "launch")

        // 1. The volume pins the data center (and Secure Cloud).
        var dataCenterID: String?
        if let volumeID = spec.networkVolumeID {
            let volume: RunPod.NetworkVolume
            do {
                volume = try await client.getNetworkVolume(id: volumeID)
            } catch let error as RunPodAPIError {
                throw map(error, notFound: ("network volume", volumeID))
            }
            dataCenterID = volume.dataCenter
            emit(.volumeResolved(volumeID: volumeID, dataCenterID: volume.dataCenter))
            log.debug("volume resolved", metadata: ["volume.id": "\(volumeID)", "dataCenter": "\(volume.dataCenter)"])
        }
        let clouds = Self.clouds(for: spec)

        // 2. Read stock, 3. order candidates.
        var candidates: [PlacementCandidate] = []
        var tried: [LauncherError.Attempt] = []
        for cloud in clouds {
            let catalog = try await readCatalog(count: spec.gpuCount, cloud: cloud)
            if cloud == clouds[0] { try checkGPUIDs(spec.gpuTypeIDs, catalog: catalog) }
            for id in spec.gpuTypeIDs {
                let candidate = PlacementCandidate(gpuTypeID: id, cloud: cloud, dataCenterID: dataCenterID)
                if let reason = Self.unavailableReason(id, cloud: cloud, dataCenterID: dataCenterID, catalog: catalog) {
                    tried.append(.init(candidate: candidate, status: 0, detail: reason))
                } else {
                    candidates.append(candidate)
                }
            }
        }
        emit(.candidatesChosen(dataCenterID: dataCenterID, candidates: candidates))
        return (dataCenterID, candidates, tried)
    }

    func launchPod(_ spec: LaunchSpec, identity: PodIdentity, progress: LaunchProgress) async throws -> Pod {
        let plan = try await planPlacement(spec)
        let dataCenterID = plan.dataCenterID
        var tried = plan.tried
        let clouds = Self.clouds(for: spec)

        // 4. Create, once per candidate.
        for candidate in plan.candidates {
            let request = createRequest(spec, identity: identity, candidate: candidate)
            switch try await create(request, candidate: candidate, identity: identity, progress: progress) {
            case .created(let pod):
                progress.record(podID: pod.id)
                let value = Pod(pod)
                emit(.created(value, launchID: identity.launchID))
                logger(podID: pod.id, operation: "launch").info("pod created", metadata: ["gpu": "\(candidate.gpuTypeID)"])
                return value
            case .rejected(let status, let detail):
                tried.append(.init(candidate: candidate, status: status, detail: detail))
                emit(.candidateRejected(candidate, status: status, detail: detail))
            }
        }

        // Nothing fitted: say what is there now (best effort: the error matters more than this read).
        let available = (try? await availableNow(count: spec.gpuCount, clouds: clouds, dataCenterID: dataCenterID)) ?? []
        throw LauncherError.noCapacity(dataCenterID: dataCenterID, tried: tried, available: available)
    }

    private func readCatalog(count: Int, cloud: RunPod.Cloud) async throws -> [RunPod.GPUType] {
        do {
            return try await client.listGPUTypes(count: count, cloud: cloud)
        } catch let error as RunPodAPIError {
            throw map(error)
        }
    }

    /// The clouds to look in: a network volume pins Secure Cloud; ALL without a volume tries Secure, then Community.
    static func clouds(for spec: LaunchSpec) -> [RunPod.Cloud] {
        switch (spec.cloudType, spec.networkVolumeID) {
        case (.community, _): [.community]
        case (.secure, _), (.all, .some): [.secure]
        case (.all, .none): [.secure, .community]
        }
    }

    private func checkGPUIDs(_ ids: [String], catalog: [RunPod.GPUType]) throws {
        let known = catalog.map(\.id)
        for id in ids where !known.contains(id) {
            let suggestion = Validation.closest(to: id, in: known).map { " Did you mean \"\($0)\"?" } ?? ""
            throw LauncherError.invalidInput(
                "Unknown GPU type \"\(id)\".\(suggestion) Valid GPU type IDs: \(known.sorted().joined(separator: ", ")).")
        }
    }

    /// Why the catalog rules a candidate out, or nil when it has stock.
    static func unavailableReason(_ id: String, cloud: RunPod.Cloud, dataCenterID: String?, catalog: [RunPod.GPUType]) -> String? {
        guard let gpu = catalog.first(where: { $0.id == id }) else { return "not in the catalog" }
        if cloud == .secure && !gpu.secure { return "not offered in Secure Cloud" }
        if cloud == .community && !gpu.community { return "not offered in Community Cloud" }
        if let dataCenterID {
            let level = gpu.dataCenters?.first { $0.id == dataCenterID }?.availability ?? .none
            return level > .none ? nil : "catalog shows no stock in \(dataCenterID)"
        }
        // Without a data center the catalog's overall level decides; an absent level is not a "no".
        if let level = gpu.availability, level == .none { return "catalog shows no \(cloud.rawValue) stock" }
        return nil
    }

    private func availableNow(count: Int, clouds: [RunPod.Cloud], dataCenterID: String?) async throws -> [String] {
        var levels: [(id: String, level: RunPod.AvailabilityLevel)] = []
        for cloud in clouds {
            for gpu in try await client.listGPUTypes(count: count, cloud: cloud) {
                let level = dataCenterID.map { dc in gpu.dataCenters?.first { $0.id == dc }?.availability ?? .none } ?? gpu.availability ?? .none
                if level > .none, !levels.contains(where: { $0.id == gpu.id }) { levels.append((gpu.id, level)) }
            }
        }
        return levels.sorted { $0.level > $1.level }.map(\.id)
    }

    func createRequest(_ spec: LaunchSpec, identity: PodIdentity, candidate: PlacementCandidate) -> RunPod.CreatePodRequest {
        RunPod.CreatePodRequest(
            name: identity.name, image: spec.image, gpu: .init(id: candidate.gpuTypeID, count: spec.gpuCount), cloud: candidate.cloud,
            dataCenterIds: candidate.dataCenterID.map { [$0] },
            mounts: spec.networkVolumeID.map { RunPod.Mounts(network: [RunPod.NetworkMount(volumeId: $0, path: spec.mountPath)]) },
            ports: spec.ports.map(\.description), env: spec.env.merging(identity.marks) { _, mark in mark }, disk: spec.containerDiskGB,
            args: spec.args)
    }

    enum CreateOutcome {
        case created(RunPod.Pod)
        case rejected(status: Int, detail: String)
    }

    /// One candidate, following RunPod's status table. Retries 429/5xx/lost answers on the same candidate (bounded),
    /// and never creates a second pod when an answer was lost: it looks for this launch's pod first.
    private func create(
        _ request: RunPod.CreatePodRequest, candidate: PlacementCandidate, identity: PodIdentity, progress: LaunchProgress
    ) async throws -> CreateOutcome {
        let policy = configuration.createRetryPolicy
        let stopwatch = Stopwatch(clock: configuration.clock)
        var attempt = 0
        var history: [String] = []
        while true {
            attempt += 1
            try Task.checkCancellation()
            emit(.creating(candidate))
            progress.markCreateSent()
            let failure: RunPodAPIError
            // A sent create runs to its answer even when the launch is cancelled meanwhile (Ctrl-C): RunPod applies a
            // create whose client went away, and only the answer (bounded by the request timeout) names the pod to
            // terminate. Listing by identity right after a cancel can run before RunPod applied it and find nothing.
            let sent = Task { [client] in
                let pod = try await client.createPod(request)
                progress.record(podID: pod.id)
                return pod
            }
            do {
                return .created(try await sent.value)
            } catch let error as RunPodAPIError {
                failure = error
            }
            history.append(failure.attemptLine)
            let detail = failure.problem?.detail ?? failure.message
            switch failure.kind {
            case .http(400), .http(403):
                return .rejected(status: failure.status ?? 0, detail: detail)
            case .http(401), .http(402):
                throw map(failure)
            case .http(422):
                let errors = failure.problem?.errors ?? []
                throw LauncherError.invalidInput(
                    "RunPod rejected the create request as invalid (422: \(detail))"
                        + (errors.isEmpty ? "" : ": " + errors.joined(separator: "; "))
                        + ". This is a bug in runpod-launcher or an unsupported option; please report it.")
            case .http(404):
                throw map(failure, notFound: request.mounts?.network?.first.map { ("network volume", $0.volumeId) })
            case .timeout,
                .transport where failure.mayHaveBeenApplied:
                // The create reached RunPod and no answer came back: RunPod may still be working on it, and a
                // second create sent now could make a second pod when the first one lands. Wait for this one
                // instead (as long again as the request was given), adopt it, and never send another.
                return .created(try await awaitUnansweredCreate(identity, after: failure))
            case .http(429), .http(500...), .transport, .malformedResponse:
                // The pod may exist even though the answer says otherwise (a gateway 5xx after the create went
                // through, an unreadable 201): look before sending another create.
                if failure.mayHaveBeenApplied || failure.status.map({ $0 >= 500 }) == true || failure.kind == .malformedResponse {
                    if let pod = try await findCreatedPod(identity, after: failure) { return .created(pod) }
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
    }

    /// After a create that got no answer: looks for this launch's pod until it shows up or the settle time passes
    /// (the request timeout again, on the wall clock: it is RunPod's processing time, not part of a schedule a test
    /// clock speeds up). Throws `unreachable` (or the listing's error) when the pod does not show up; no second
    /// create is sent, and the launch's cleanup looks once more before it gives up.
    private func awaitUnansweredCreate(_ identity: PodIdentity, after failure: RunPodAPIError) async throws -> RunPod.Pod {
        let settle = client.requestTimeout
        let wallClock = ContinuousClock()
        let start = wallClock.now
        var looks = 0
        var lookupError: RunPodAPIError?
        while true {
            looks += 1
            do {
                if let pod = try await findCreatedPod(identity, after: failure) { return pod }
                lookupError = nil
            } catch let error as LauncherError {
                switch error {
                case .unreachable(let apiError), .malformedResponse(let apiError): lookupError = apiError  // Look again.
                default: throw error
                }
            }
            let remaining = settle - (wallClock.now - start)
            guard remaining > .zero else { break }
            try await wallClock.sleep(for: min(configuration.pollSchedule.delay(afterPoll: looks, rateLimit: client.rateLimit), remaining))
        }
        if let lookupError { throw map(lookupError) }
        var final = failure
        final.message =
            "createPod got no answer for pod \"\(identity.name)\" (\(failure.message)), and the pod did not show up within "
            + "\(formatDuration(settle)) more. No second create was sent (it could make a second pod); if the pod appears later, "
            + "`runpod-launcher list --mine` shows it and `runpod-launcher terminate ID` removes it."
        throw map(final)
    }

    /// Lists pods and returns this launch's pod if RunPod has it.
    private func findCreatedPod(_ identity: PodIdentity, after failure: RunPodAPIError) async throws -> RunPod.Pod? {
        let log = logger(operation: "launch")
        do {
            let pods = try await client.listPods()
            if let pod = pods.first(where: identity.matches) {
                log.notice("adopted pod created by a create whose answer was lost", metadata: ["pod.id": "\(pod.id)"])
                return pod
            }
            return nil
        } catch let error as RunPodAPIError {
            var combined = error
            combined.message =
                "a create for pod \"\(identity.name)\" may have gone through (\(failure.message)), and listing pods to check failed: "
                + "\(error.message). Check with `runpod-launcher list --mine` before launching again."
            throw map(combined)
        }
    }
}
