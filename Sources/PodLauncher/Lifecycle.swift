import Foundation
import Logging
import RunPodAPI

/// A launch that failed, with what a caller must know about the pod it may have left: its ID, and whether it is
/// still running (kept on purpose, or the cleanup failed).
public struct LauncherFailure: Error, Sendable, CustomStringConvertible {
    /// Why it failed: a `LauncherError`, or `CancellationError` when the task was cancelled.
    public var error: any Error
    /// The pod that was created, if one was.
    public var podID: String?
    /// True when that pod still exists: `keepOnFailure`, or terminating it failed (see `cleanupError`).
    public var podLeftRunning: Bool
    /// Why the cleanup failed, when it did.
    public var cleanupError: LauncherError?

    /// Creates a failure.
    public init(error: any Error, podID: String?, podLeftRunning: Bool, cleanupError: LauncherError? = nil) {
        self.error = error
        self.podID = podID
        self.podLeftRunning = podLeftRunning
        self.cleanupError = cleanupError
    }

    /// The launcher's error, when the failure was not a cancellation.
    public var launcherError: LauncherError? { error as? LauncherError }

    /// True when the task was cancelled (SIGINT/SIGTERM in the CLI).
    public var isCancellation: Bool { error is CancellationError }

    public var description: String {
        var text = isCancellation ? "Cancelled." : "\((error as? LauncherError)?.description ?? "\(error)")"
        if let podID {
            if podLeftRunning {
                text += " Pod \(podID) is still running and billing"
                text += cleanupError.map { " (terminating it failed: \($0.description))" } ?? " (kept on request)"
                text += "; terminate it with `runpod-launcher terminate \(podID)`."
            } else {
                text += " Pod \(podID) was terminated."
            }
        }
        return text
    }
}

extension RunPodLauncher {
    /// Launches a pod and waits until it is ready. On any failure after the pod exists (timeout, pod failure,
    /// cancellation) the pod is terminated unless `keepOnFailure`; the thrown `LauncherFailure` says which pod and
    /// whether it is still running.
    public func launchUntilReady(_ spec: LaunchSpec, timeout: Duration = Defaults.readyTimeout, keepOnFailure: Bool = false) async throws
        -> ReadyPod
    {
        do {
            try Validation.check(timeout: timeout)
        } catch {
            throw LauncherFailure(error: error, podID: nil, podLeftRunning: false)
        }
        let identity = PodIdentity(spec: spec)
        let progress = LaunchProgress()
        do {
            let pod = try await launchPod(spec, identity: identity, progress: progress)
            return try await waitForReady(podID: pod.id, timeout: timeout)
        } catch {
            let failure = Self.normalize(error)
            var podID = progress.podID
            if podID == nil && progress.createSent {
                // A create was sent and we hold no pod ID: whatever failed (cancellation, a lost or unreadable answer,
                // or a failed look-up after one), the pod may exist. Look for it by its identity, a few times, before
                // giving up (the soak found a leak when only some errors triggered this look).
                podID =
                    await shielded(deadline: configuration.cleanupDeadline) {
                        for _ in 0..<3 {
                            if let pods = try? await self.client.listPods() { return pods.first(where: identity.matches)?.id }
                        }
                        return nil
                    } ?? nil
            }
            guard let podID else { throw LauncherFailure(error: failure, podID: nil, podLeftRunning: false) }
            if keepOnFailure { throw LauncherFailure(error: failure, podID: podID, podLeftRunning: true) }
            let reason = failure is CancellationError ? "cancelled" : "launch failed"
            let cleanupError = await cleanUp(podID: podID, reason: reason)
            throw LauncherFailure(error: failure, podID: podID, podLeftRunning: cleanupError != nil, cleanupError: cleanupError)
        }
    }

    /// Launches, waits, runs `body` with the ready pod, and always terminates it: on success, error and cancellation.
    ///
    /// Launch failures are thrown as `LauncherFailure`; `body`'s own error is rethrown as it is. If the final
    /// terminate fails after `body` succeeded, that failure is thrown (the pod may still bill).
    public func withPod<T: Sendable>(
        _ spec: LaunchSpec, timeout: Duration = Defaults.readyTimeout, _ body: (ReadyPod) async throws -> T
    ) async throws -> T {
        let ready = try await launchUntilReady(spec, timeout: timeout, keepOnFailure: false)
        let result: T
        do {
            result = try await body(ready)
        } catch {
            _ = await cleanUp(podID: ready.pod.id, reason: error is CancellationError ? "cancelled" : "body failed")
            throw error
        }
        if let cleanupError = await cleanUp(podID: ready.pod.id, reason: "done") {
            throw LauncherFailure(error: cleanupError, podID: ready.pod.id, podLeftRunning: true, cleanupError: cleanupError)
        }
        return result
    }

    /// Terminates and confirms, shielded from the caller's cancellation and bounded by `cleanupDeadline`.
    /// Returns the error when the pod could not be confirmed gone.
    func cleanUp(podID: String, reason: String) async -> LauncherError? {
        let log = logger(podID: podID, operation: "cleanup")
        let outcome: LauncherError?? = await shielded(deadline: configuration.cleanupDeadline) { () async -> LauncherError? in
            // Giving up leaves a pod billing, so a cleanup keeps trying through RunPod's bad moments (5xx, 429,
            // unreadable answers, lost connections) until its deadline, not just for one call's retry budget.
            let stopwatch = Stopwatch(clock: self.configuration.clock)
            var pause: Duration = .seconds(1)
            while true {
                do {
                    try await self.terminatePod(podID: podID, reason: reason)
                    return nil
                } catch LauncherError.notFound {
                    return nil  // Already gone (or an earlier try went through).
                } catch let error as LauncherError {
                    guard error.isTransient, stopwatch.elapsed + pause < self.configuration.cleanupDeadline else { return error }
                    log.warning("terminate failed; trying again", metadata: ["error": "\(error.description)", "in": "\(pause)"])
                    let failure = error
                    do { try await self.configuration.clock.sleep(for: pause) } catch { return failure }
                    pause = min(pause * 2, .seconds(10))
                } catch {
                    return LauncherError.invalidInput("terminate of \(podID) stopped: \(error)")
                }
            }
        }
        guard let outcome else {
            log.error("cleanup deadline passed; the pod may still be running")
            return .timedOut(
                podID: podID, after: configuration.cleanupDeadline, lastStatus: nil, waitingFor: "RunPod to confirm the pod terminated")
        }
        if let outcome { log.error("cleanup failed", metadata: ["error": "\(outcome.description)"]) }
        return outcome
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

    static func normalize(_ error: any Error) -> any Error {
        if let error = error as? LauncherError { return error }
        if error is CancellationError { return error }
        if let error = error as? RunPodAPIError { return LauncherError.from(error, credentialSource: nil) }
        if Task.isCancelled { return CancellationError() }
        return error
    }
}
