import Foundation
import RunPodAPI
import Synchronization

/// Keeps a launch's API calls inside RunPod's request budget instead of bouncing off 429s.
///
/// It mirrors the budget the server reports (`RateLimit: "minute";r=…;t=…`, `RateLimit-Policy: "minute";q=…;w=…`,
/// read from the client after each call): calls go out at once while the window has requests left, and once it is
/// spent (down to a small reserve kept for cleanup) further calls wait until the window resets. That is the fastest
/// schedule a fixed window allows, and with a sliding window the reported `r` still says what is left. Calls still in
/// flight are subtracted from each report, since the server has not counted them yet. A 429 (with its `Retry-After`)
/// blocks every launch call until the time it names.
final class RatePacer: Sendable {
    /// Who is asking. Creates (and placement) leave the reserve for cleanup; status polls may use all of it but
    /// one request, since a fleet that cannot see its pods get ready would otherwise sit out a whole window; cleanup
    /// may spend everything.
    enum Priority { case launch, poll, cleanup }

    private struct State {
        /// Requests the window still allows, by our estimate; nil while unknown.
        var remaining: Int?
        /// When the current window resets, as an offset on the pacer's stopwatch.
        var resetAt: Duration?
        /// The window's quota and length, from `RateLimit-Policy`.
        var quota: Int?
        var windowLength: Duration?
        /// Calls granted whose answers have not been observed yet.
        var inFlight = 0
        /// Nothing is sent before this (after a 429).
        var blockedUntil: Duration?
        var lastSeen: RateLimitStatus?
        var waits = 0
        var waited = Duration.zero
        var rateLimited = 0
        /// The end of the last wait announced: several callers waiting for the same reset are announced once.
        var announcedUntil = Duration.zero
    }

    private let client: RunPodClient
    private let clock: any Clock<Duration>
    private let stopwatch: Stopwatch
    private let reserve: Int
    private let state = Mutex(State())
    private let onWait: @Sendable (Duration, String) -> Void

    /// - Parameters:
    ///   - reserve: requests per window that launches leave for cleanup.
    ///   - onWait: told before each wait of a second or more (for progress).
    init(client: RunPodClient, clock: any Clock<Duration>, reserve: Int, onWait: @escaping @Sendable (Duration, String) -> Void = { _, _ in }) {
        self.client = client
        self.clock = clock
        self.stopwatch = Stopwatch(clock: clock)
        self.reserve = max(0, reserve)
        self.onWait = onWait
    }

    /// Waits until `cost` requests may be sent, and counts them as in flight. Pair with `finished(cost:)`.
    func acquire(cost: Int = 1, priority: Priority = .launch) async throws {
        while true {
            try Task.checkCancellation()
            let now = stopwatch.elapsed
            let wait: Duration? = state.withLock { state in
                if let until = state.blockedUntil {
                    if now < until {
                        if priority != .cleanup { return until - now }
                    } else {
                        state.blockedUntil = nil
                    }
                }
                if let resetAt = state.resetAt, now >= resetAt {
                    // A new window: the full quota, less what is already on its way.
                    state.remaining = state.quota.map { $0 - state.inFlight }
                    state.resetAt = state.windowLength.map { now + $0 }
                }
                // The reserve never takes more than a tenth of a small quota.
                let floor =
                    switch priority {
                    case .launch: min(reserve, state.quota.map { $0 / 10 } ?? reserve)
                    case .poll: 1
                    case .cleanup: 0
                    }
                if let remaining = state.remaining, remaining - cost < floor {
                    if let resetAt = state.resetAt { return max(resetAt - now, .milliseconds(50)) }
                    // No reset time reported: spread what the policy allows.
                    if let quota = state.quota, let length = state.windowLength, quota > 0 { return length / quota * cost }
                    return .seconds(1)
                }
                state.remaining = state.remaining.map { $0 - cost }
                state.inFlight += cost
                return nil
            }
            guard let wait else { return }
            let reason = state.withLock { $0.blockedUntil != nil } ? "RunPod answered 429" : "the rate-limit window is spent"
            let announce = state.withLock { state in
                state.waits += 1
                state.waited += wait
                guard wait >= .seconds(1), now + wait > state.announcedUntil + .seconds(1) else { return false }
                state.announcedUntil = now + wait
                return true
            }
            if announce { onWait(wait, reason) }
            try await RunPodAPI.sleep(for: wait, on: clock)
        }
    }

    /// Records that `cost` granted requests were answered (or failed), and learns the budget from the client.
    func finished(cost: Int = 1) {
        let now = stopwatch.elapsed
        let status = client.rateLimit
        state.withLock { state in
            state.inFlight = max(0, state.inFlight - cost)
            guard let status, status != state.lastSeen else { return }
            state.lastSeen = status
            guard let window = status.tightest ?? status.windows.first else { return }
            if let quota = window.quota { state.quota = quota }
            if let length = window.length { state.windowLength = length }
            guard let reported = window.remaining else { return }
            let estimate = reported - state.inFlight
            let reportedReset = window.resetsIn.map { now + $0 }
            // A report of a later window than ours (its reset is clearly later) replaces our view; one of the same
            // window can only lower it (answers arrive out of order).
            var newWindow = state.remaining == nil || state.resetAt.map { now >= $0 } == true
            if let reportedReset, let current = state.resetAt, reportedReset > current + .seconds(2) { newWindow = true }
            if newWindow {
                state.remaining = estimate
                state.resetAt = reportedReset ?? state.windowLength.map { now + $0 }
            } else {
                state.remaining = min(state.remaining ?? estimate, estimate)
                if let reportedReset, let current = state.resetAt, reportedReset < current { state.resetAt = reportedReset }
            }
        }
    }

    /// A 429 arrived: nothing more goes out (but cleanup) until `retryAfter` has passed (1 s when RunPod gave none).
    func rateLimited(retryAfter: Duration?) {
        let now = stopwatch.elapsed
        let until = now + (retryAfter ?? .seconds(1))
        state.withLock { state in
            state.rateLimited += 1
            // RunPod's Retry-After is the authority: nothing goes out before it, and a new window starts then (the next
            // answer's RateLimit header corrects the estimate), rather than waiting for a reset an older header named.
            state.remaining = 0
            state.blockedUntil = max(state.blockedUntil ?? .zero, until)
            state.resetAt = state.blockedUntil
        }
    }

    /// Runs `call` (costing `cost` requests) once the budget allows, and learns from its answer.
    func paced<T: Sendable>(cost: Int = 1, priority: Priority = .launch, _ call: () async throws -> T) async throws -> T {
        try await acquire(cost: cost, priority: priority)
        do {
            let value = try await call()
            finished(cost: cost)
            return value
        } catch {
            finished(cost: cost)
            if let error = error as? RunPodAPIError, error.status == 429 { rateLimited(retryAfter: error.retryAfter) }
            throw error
        }
    }

    /// How much pacing the fleet needed: waits, their total, and 429s seen.
    var statistics: (waits: Int, waited: Duration, rateLimited: Int) {
        state.withLock { ($0.waits, $0.waited, $0.rateLimited) }
    }

    /// Counts a 429 that the client retried by itself (it already waited its `Retry-After`).
    func noteRetried429() { state.withLock { $0.rateLimited += 1 } }

    /// The quota per window and the window's length, once RunPod has reported them.
    var policy: (quota: Int, window: Duration)? {
        state.withLock { state in
            guard let quota = state.quota, let length = state.windowLength else { return nil }
            return (quota, length)
        }
    }
}

/// A call through a pacer when there is one (a launch), straight through when there is none (a one-off read).
struct Paced: Sendable {
    let pacer: RatePacer?

    init(_ pacer: RatePacer?) { self.pacer = pacer }

    func callAsFunction<T: Sendable>(priority: RatePacer.Priority = .launch, _ call: () async throws -> T) async throws -> T {
        guard let pacer else { return try await call() }
        return try await pacer.paced(priority: priority, call)
    }
}
