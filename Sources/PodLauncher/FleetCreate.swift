import Foundation
import Logging
import RunPodAPI
import Synchronization

/// The fleet's placement, read once: the volume's data center and the ordered candidates with stock there.
///
/// A single pod reads the volume and the catalog before its create (RunPod's read-then-create pattern); a fleet of N
/// does it once and then sends N creates, which saves 2·(N−1) requests of the rate limit. A candidate RunPod turns
/// down (400 no capacity, 403) is dropped for the rest of the fleet.
final class FleetPlacement: Sendable {
    private struct State {
        var candidates: [PlacementCandidate]
        var tried: [LauncherError.Attempt]
    }

    let dataCenterID: String?
    private let state: Mutex<State>

    init(dataCenterID: String?, candidates: [PlacementCandidate], tried: [LauncherError.Attempt]) {
        self.dataCenterID = dataCenterID
        state = Mutex(State(candidates: candidates, tried: tried))
    }

    /// The candidates still open, in order.
    var candidates: [PlacementCandidate] { state.withLock { $0.candidates } }

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

    /// The error once no candidate is left.
    var noCapacity: LauncherError {
        state.withLock { .noCapacity(dataCenterID: dataCenterID, tried: $0.tried, available: []) }
    }
}

extension RunPodLauncher {
    /// Steps 1–3 of placement (volume → data center → catalog → candidates), once for the whole fleet.
    func planFleetPlacement(_ spec: LaunchSpec) async throws -> FleetPlacement {
        let plan = try await planPlacement(spec)
        return FleetPlacement(dataCenterID: plan.dataCenterID, candidates: plan.candidates, tried: plan.tried)
    }

    /// Creates one pod of a fleet: one `createPod` per open candidate, paced.
    ///
    /// The common answers are handled here (201; 400/403 drop the candidate; 429 waits and tries again). Anything
    /// else (5xx, a lost or unreadable answer, 401/402/404/422) goes to the single-pod path, which follows RunPod's
    /// status table in full: first, when the create may have gone through, this pod is looked for by its identity so
    /// a second one is never created.
    func createFleetPod(
        _ spec: LaunchSpec, identity: PodIdentity, progress: LaunchProgress, placement: FleetPlacement, pacer: FleetPacer
    ) async throws -> Pod {
        var rateLimitedTries = 0
        while let candidate = placement.next {
            try Task.checkCancellation()
            let request = createRequest(spec, identity: identity, candidate: candidate)
            let failure: RunPodAPIError
            do {
                let pod = try await pacer.paced {
                    progress.markCreateSent()
                    // Once sent, a create is let finish even if the fleet is cancelled (it is bounded by the request
                    // timeout): then the cleanup knows the pod's ID instead of racing the create with a lookup.
                    let client = self.client
                    return try await Task { try await client.createPod(request) }.value
                }
                progress.record(podID: pod.id)
                let created = Pod(pod)
                // The ledger (this launcher's only observer) records the pod before anyone waits on it.
                emit(.created(created, launchID: identity.launchID))
                try Task.checkCancellation()
                return created
            } catch let error as RunPodAPIError {
                failure = error
            }
            switch failure.kind {
            case .http(400), .http(403):
                placement.reject(candidate, status: failure.status ?? 0, detail: failure.problem?.detail ?? failure.message)
            case .http(429) where rateLimitedTries < 20:
                // The pacer now holds every launch call until the Retry-After has passed; try the same candidate again.
                rateLimitedTries += 1
            default:
                return try await createBySinglePodPath(spec, identity: identity, progress: progress, after: failure, pacer: pacer)
            }
        }
        throw placement.noCapacity
    }

    private func createBySinglePodPath(
        _ spec: LaunchSpec, identity: PodIdentity, progress: LaunchProgress, after failure: RunPodAPIError, pacer: FleetPacer
    ) async throws -> Pod {
        // A create that reached RunPod and got no answer may still land later: a second create sent now could make a
        // second pod. Look for this one for as long again as the request was given (RunPod's processing time, so on
        // the wall clock), and never send another.
        let unanswered = failure.mayHaveBeenApplied && (failure.kind == .timeout || failure.kind == .transport)
        if unanswered || failure.mayHaveBeenApplied || (failure.status ?? 0) >= 500 || failure.kind == .malformedResponse {
            let wallClock = ContinuousClock()
            let settleBy = wallClock.now + (unanswered ? client.requestTimeout : .zero)
            var looks = 0
            while true {
                looks += 1
                let pods: [RunPod.Pod]
                do {
                    pods = try await pacer.paced { try await client.listPods() }
                } catch let error as RunPodAPIError {
                    var combined = error
                    combined.message =
                        "a create for pod \"\(identity.name)\" may have gone through (\(failure.message)), and listing pods to check failed: "
                        + "\(error.message)."
                    throw map(combined)
                }
                if let pod = pods.first(where: identity.matches) {
                    logger(podID: pod.id, operation: "fleet").notice("adopted pod created by a create whose answer was lost")
                    progress.record(podID: pod.id)
                    let adopted = Pod(pod)
                    emit(.created(adopted, launchID: identity.launchID))
                    return adopted
                }
                let remaining = settleBy - wallClock.now
                guard remaining > .zero else { break }
                try await wallClock.sleep(for: min(configuration.pollSchedule.delay(afterPoll: looks), remaining))
            }
            if unanswered {
                var final = failure
                final.message =
                    "createPod got no answer for pod \"\(identity.name)\" (\(failure.message)), and the pod did not show up within "
                    + "\(formatDuration(client.requestTimeout)) more; no second create was sent (it could make a second pod)."
                throw map(final)
            }
        }
        // Volume + catalog + create(s): up to three requests, more on retries.
        return try await pacer.paced(cost: 3) { try await launchPod(spec, identity: identity, progress: progress) }
    }
}
