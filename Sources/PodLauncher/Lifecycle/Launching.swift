import Foundation
import RunPodAPI

/// The launcher's public lifecycle: N ≥ 1 pods through one engine (`Engine.swift`), and the single-pod names as thin
/// conveniences over it. Every failure is a `LauncherError` that says what became of each pod the call created.
extension RunPodLauncher {
    /// Launches `count` pods from one spec and waits until they are ready; they keep running (and billing) afterwards.
    ///
    /// Pods are named `NAME-1` … `NAME-N` when `spec.name` is set and `count` > 1, each with its own launch ID.
    /// Placement is read once; creates go out at most `options.concurrency` at a time, paced to stay inside the rate
    /// limit RunPod reports. On any failure, timeout, crossed limit or cancellation, every pod the launch created is
    /// terminated and confirmed gone (see `LaunchOptions.keepOnFailure` and `minReady` for the exceptions), and the
    /// thrown `LauncherError` lists what became of each. Every pod is recorded in `ledger` until confirmed gone.
    public func launch(_ spec: LaunchSpec, count: Int = 1, options: LaunchOptions = .init()) async throws -> LaunchedPods {
        try await perform(spec, count: count, options: options, goal: .ready, terminateAfter: false) { launched, _ in launched }
    }

    /// Launches `count` pods, runs `body` with them once ready, and always terminates every pod: on success, error,
    /// cancellation, and when a limit is crossed (while waiting or while `body` runs: `body` is cancelled). `body`'s
    /// own error is rethrown as it is, after the cleanup; if the final cleanup cannot confirm every pod gone after
    /// `body` succeeded, a `LauncherError` names those pods.
    public func withPods<T: Sendable>(
        _ spec: LaunchSpec, count: Int = 1, options: LaunchOptions = .init(), _ body: @escaping @Sendable (LaunchedPods) async throws -> T
    ) async throws -> T {
        try await perform(spec, count: count, options: options, goal: .ready, terminateAfter: true) { launched, _ in try await body(launched) }
    }

    /// Places and creates `count` pods; returns as soon as they exist, without waiting for them to be ready. Limits
    /// cannot be watched here (nothing waits): use `podSideDeadline` for a deadline that holds.
    public func createPods(_ spec: LaunchSpec, count: Int = 1, options: LaunchOptions = .init()) async throws -> [Pod] {
        try await perform(spec, count: count, options: options, goal: .created, terminateAfter: false) { _, run in
            run.book.members.compactMap { $0.pod.map(Pod.init) }
        }
    }

    /// Waits until existing pods are ready (RUNNING, ports published, app answering), each within `timeout`. Never
    /// terminates them.
    public func waitForReady(podIDs: [String], timeout: Duration = Defaults.readyTimeout) async throws -> [ReadyPod] {
        try await performWait(podIDs: podIDs, timeout: timeout)
    }

    /// Terminates pods and confirms each gone, keeping at it through RunPod's transient failures until the cleanup
    /// deadline. Reads each pod first, so a result carries its cost. Never throws for one pod's failure.
    public func terminate(podIDs: [String], reason: String = "requested", concurrency: Int = 4) async -> [TerminationResult] {
        let unique = podIDs.uniqued()
        let before = await snapshot(unique)
        let outcome = await reap(podIDs: unique, lookFor: [], reason: reason, pacer: nil, concurrency: concurrency)
        return unique.map { id in
            if outcome.alreadyGone.contains(id) { return TerminationResult(podID: id, outcome: .alreadyGone, pod: before[id]) }
            if let error = outcome.errors[id], !outcome.terminated.contains(id) {
                return TerminationResult(podID: id, outcome: .failed(error), pod: before[id])
            }
            return TerminationResult(podID: id, outcome: .terminated, pod: before[id], endedAt: outcome.endedAt[id] ?? Date())
        }
    }

    /// Each pod as it is now (one list for several, one read for one); pods that cannot be read are left out.
    private func snapshot(_ podIDs: [String]) async -> [String: Pod] {
        if podIDs.count == 1 { return (try? await client.getPod(id: podIDs[0])).map { [$0.id: Pod($0)] } ?? [:] }
        guard let pods = try? await client.listPods() else { return [:] }
        return Dictionary(pods.filter { podIDs.contains($0.id) }.map { ($0.id, Pod($0)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The live pods (not TERMINATED) carrying each of `launchIDs`, from one listing: what a service reconciles its
    /// records against after a restart (a pod whose create answer was lost is found here). A launch ID with no pod is
    /// left out; with two (which the launcher never makes), both are returned.
    public func pods(launchIDs: [String]) async throws -> [String: [Pod]] {
        let wanted = Set(launchIDs)
        let listed: [RunPod.Pod]
        do {
            listed = try await client.listPods()
        } catch let error as RunPodAPIError {
            throw map(error)
        }
        var found: [String: [Pod]] = [:]
        for pod in listed where pod.status != .terminated {
            if let id = PodIdentity.launchID(of: pod), wanted.contains(id) { found[id, default: []].append(Pod(pod)) }
        }
        return found
    }

    // MARK: One pod

    /// Launches one pod and waits until it is ready (`launch` with a count of 1).
    public func launchPod(_ spec: LaunchSpec, options: LaunchOptions = .init()) async throws -> ReadyPod {
        let launched = try await launch(spec, count: 1, options: options)
        guard let pod = launched.pods.first else { throw LauncherError.unexpected("the launch ended without its pod") }
        return pod
    }

    /// Places and creates one pod; returns as soon as it exists (`createPods` with a count of 1).
    public func createPod(_ spec: LaunchSpec, options: LaunchOptions = .init()) async throws -> Pod {
        let pods = try await createPods(spec, count: 1, options: options)
        guard let pod = pods.first else { throw LauncherError.unexpected("the create ended without its pod") }
        return pod
    }

    /// Launches one pod, runs `body` with it once ready, and always terminates it (`withPods` with a count of 1).
    public func withPod<T: Sendable>(
        _ spec: LaunchSpec, options: LaunchOptions = .init(), _ body: @escaping @Sendable (ReadyPod) async throws -> T
    ) async throws -> T {
        try await withPods(spec, count: 1, options: options) { launched in
            guard let pod = launched.pods.first else { throw LauncherError.unexpected("the launch ended without its pod") }
            return try await body(pod)
        }
    }

    /// Waits until an existing pod is ready. Does not terminate it.
    public func waitForReady(podID: String, timeout: Duration = Defaults.readyTimeout) async throws -> ReadyPod {
        let pods = try await waitForReady(podIDs: [podID], timeout: timeout)
        guard let pod = pods.first else { throw LauncherError.unexpected("the wait ended without the pod") }
        return pod
    }

    /// Terminates a pod and confirms it gone. Throws `notFound` when RunPod does not know the ID, and the cleanup's
    /// error when it could not be confirmed gone.
    public func terminatePod(podID: String, reason: String = "requested") async throws {
        let result = await terminate(podIDs: [podID], reason: reason)
        switch result.first?.outcome {
        case .terminated?: return
        case .alreadyGone?: throw LauncherError.notFound(kind: "pod", id: podID)
        case .failed(let error)?: throw error.with(leftRunning: [podID], terminated: [], cleanupErrors: [podID: error])
        case nil: throw LauncherError.unexpected("terminate ended without a result")
        }
    }
}
