import Foundation
import RunPodAPI

/// `waitForCapacity` ran out: no requested GPU had stock at any try.
public struct CapacityWaitExpired: Error, Sendable, CustomStringConvertible {
    /// How long the launch waited.
    public var waited: Duration
    /// How many placement tries it made (each a catalog read, then a create per candidate with stock).
    public var tries: Int
    /// The last try's `noCapacity` error (what was asked for, and what the data center had).
    public var last: LauncherError

    /// Creates the error.
    public init(waited: Duration, tries: Int, last: LauncherError) {
        self.waited = waited
        self.tries = tries
        self.last = last
    }

    public var description: String {
        "\(last.description) Waited \(DurationText.format(waited)) for capacity (\(tries) \(tries == 1 ? "try" : "tries"))."
    }
}

extension RunPodLauncher {
    /// Runs `attempt` (a whole placement: catalog read, then creates) until it places a pod, trying again on
    /// `noCapacity` with `options.capacityBackoff` until `options.waitForCapacity` is spent. Each try first picks
    /// the network volume again (stock moves between data centers). Cancellation during a pause ends the wait at once.
    func retryingOnNoCapacity<T: Sendable>(
        _ spec: LaunchSpec, options: LaunchOptions, _ attempt: (LaunchSpec) async throws -> T
    ) async throws -> T {
        let stopwatch = Stopwatch(clock: configuration.clock)
        let log = logger(operation: "capacity")
        var tries = 0
        while true {
            tries += 1
            try Task.checkCancellation()
            var placed = spec
            if !options.networkVolumeIDs.isEmpty {
                placed.networkVolumeID = try await chooseNetworkVolume(options.networkVolumeIDs, for: spec).volumeID
            }
            do {
                return try await attempt(placed)
            } catch {
                guard let wait = options.waitForCapacity, let noCapacity = Self.noCapacity(in: error) else { throw error }
                let waited = stopwatch.elapsed
                let remaining = wait - waited
                guard remaining > .zero else { throw CapacityWaitExpired(waited: waited, tries: tries, last: noCapacity) }
                let delay = min(options.capacityBackoff.delay(afterTry: tries, rateLimit: client.rateLimit), remaining)
                let what = Self.waitingFor(noCapacity)
                let reason = "\(what); waited \(DurationText.format(waited)) of \(DurationText.format(wait))"
                emit(.retrying(operation: "capacity", attempt: tries + 1, delay: delay, reason: reason))
                log.info(
                    "waiting for capacity",
                    metadata: ["for": "\(what)", "waited": "\(DurationText.format(waited))", "next": "\(DurationText.format(delay))"])
                try await sleep(delay)
            }
        }
    }

    /// The `noCapacity` error inside `error`, when that is what it is and no pod was left behind.
    static func noCapacity(in error: any Error) -> LauncherError? {
        if case .noCapacity? = error as? LauncherError { return error as? LauncherError }
        if let failure = error as? LauncherFailure, failure.podID == nil, case .noCapacity? = failure.launcherError {
            return failure.launcherError
        }
        if let expired = error as? CapacityWaitExpired { return expired.last }
        return nil
    }

    /// `no stock for NVIDIA A40, NVIDIA L40S in EU-RO-1`: what the wait is waiting for.
    static func waitingFor(_ error: LauncherError) -> String {
        guard case .noCapacity(let dataCenterID, let tried, _) = error else { return error.description }
        var names: [String] = []
        for attempt in tried where !names.contains(attempt.candidate.gpuTypeID) { names.append(attempt.candidate.gpuTypeID) }
        let place = dataCenterID.map { " in \($0)" } ?? ""
        return "no stock for \(names.isEmpty ? "the requested GPUs" : names.joined(separator: ", "))\(place)"
    }
}
