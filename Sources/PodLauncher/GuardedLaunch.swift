import Foundation
import RunPodAPI

/// Launches with `LaunchOptions`: volume choice, waiting for capacity, lifetime and cost limits, a pod-side deadline.
/// Each wraps the plain launch (`launchPod`, `launchUntilReady`, `withPod`) and keeps its guarantees: a pod this
/// launch created is terminated on failure, on cancellation, and when a limit is crossed.
extension RunPodLauncher {
    /// Places and creates a pod with `options` (volume choice, capacity wait, pod-side deadline); returns once it
    /// exists. Client-side limits cannot apply here (nothing waits); use `podSideDeadline` for a deadline that holds.
    public func launchPod(_ spec: LaunchSpec, options: LaunchOptions) async throws -> Pod {
        let prepared = try prepare(spec, options: options)
        return try await retryingOnNoCapacity(prepared, options: options) { try await launchPod($0) }
    }

    /// Launches with `options` and waits until ready, as `launchUntilReady(_:timeout:keepOnFailure:)`. A crossed
    /// limit terminates the pod (even with `keepOnFailure`) and throws a `LauncherFailure` whose error is
    /// `PodLimitExceeded`; a capacity wait that runs out throws `CapacityWaitExpired`.
    public func launchUntilReady(
        _ spec: LaunchSpec, timeout: Duration = Defaults.readyTimeout, keepOnFailure: Bool = false, options: LaunchOptions
    ) async throws -> ReadyPod {
        let prepared = try prepare(spec, options: options)
        let meter = LimitMeter(limits: options.limits, clock: configuration.clock)
        return try await launchGuarded(prepared, timeout: timeout, keepOnFailure: keepOnFailure, options: options, meter: meter)
    }

    /// `withPod` with `options`: launches (choosing a volume, waiting for capacity), runs `body` with the ready pod,
    /// and always terminates it. When a limit is crossed — while waiting or while `body` runs — `body` is cancelled,
    /// the pod is terminated, and a `LauncherFailure` with `PodLimitExceeded` is thrown.
    public func withPod<T: Sendable>(
        _ spec: LaunchSpec, timeout: Duration = Defaults.readyTimeout, options: LaunchOptions,
        _ body: @escaping @Sendable (ReadyPod) async throws -> T
    ) async throws -> T {
        let prepared = try prepare(spec, options: options)
        let meter = LimitMeter(limits: options.limits, clock: configuration.clock)
        let ready = try await launchGuarded(prepared, timeout: timeout, keepOnFailure: false, options: options, meter: meter)
        let podID = ready.pod.id
        let guarded = observing(meter.observe)
        let (result, exceeded) =
            options.limits.isEmpty ? await Self.unraced { try await body(ready) } : await guarded.race({ try await body(ready) }, meter: meter)
        if let exceeded {
            throw await finishExceeded(exceeded, podID: podID, outcome: nil)
        }
        switch result {
        case .success(let value):
            if let cleanupError = await cleanUp(podID: podID, reason: "done") {
                throw LauncherFailure(error: cleanupError, podID: podID, podLeftRunning: true, cleanupError: cleanupError)
            }
            return value
        case .failure(let error):
            _ = await cleanUp(podID: podID, reason: error is CancellationError ? "cancelled" : "body failed")
            throw error
        }
    }

    /// The launch phase: capacity wait around `launchUntilReady`, raced against the limits.
    private func launchGuarded(
        _ spec: LaunchSpec, timeout: Duration, keepOnFailure: Bool, options: LaunchOptions, meter: LimitMeter
    ) async throws -> ReadyPod {
        let guarded = observing(meter.observe)
        let work: @Sendable () async throws -> ReadyPod = {
            try await guarded.retryingOnNoCapacity(spec, options: options) {
                try await guarded.launchUntilReady($0, timeout: timeout, keepOnFailure: keepOnFailure)
            }
        }
        let (result, exceeded) = options.limits.isEmpty ? await Self.unraced(work) : await guarded.race(work, meter: meter)
        if let exceeded {
            let ready = try? result.get()
            let error: (any Error)? = if case .failure(let failure) = result { failure } else { nil }
            throw await finishExceeded(exceeded, podID: ready?.pod.id ?? meter.podID, outcome: error)
        }
        return try result.get()
    }

    private static func unraced<T: Sendable>(_ work: () async throws -> T) async -> (result: Result<T, any Error>, exceeded: PodLimitExceeded?) {
        do {
            return (.success(try await work()), nil)
        } catch {
            return (.failure(error), nil)
        }
    }

    /// Checks the options and applies the pod-side deadline.
    func prepare(_ spec: LaunchSpec, options: LaunchOptions) throws -> LaunchSpec {
        if let maxLifetime = options.limits.maxLifetime, maxLifetime <= .zero {
            throw LauncherError.invalidInput("The max lifetime must be positive (got \(DurationText.format(maxLifetime))).")
        }
        if let maxCost = options.limits.maxCost, !(maxCost > 0) || !maxCost.isFinite {
            throw LauncherError.invalidInput("The max cost must be a positive number of USD (got \(maxCost)).")
        }
        if let wait = options.waitForCapacity, wait < .zero {
            throw LauncherError.invalidInput("The capacity wait must not be negative (got \(DurationText.format(wait))).")
        }
        guard let deadline = options.podSideDeadline else { return spec }
        guard let lifetime = options.limits.maxLifetime else {
            throw LauncherError.invalidInput("A pod-side deadline needs a max lifetime: it is when the pod stops itself.")
        }
        guard !deadline.startCommand.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw LauncherError.invalidInput(
                "A pod-side deadline needs the image's start command (what its CMD runs), so the wrapper can run it.")
        }
        return deadline.apply(to: spec, lifetime: lifetime, now: options.now())
    }
}
