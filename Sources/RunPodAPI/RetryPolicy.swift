import Foundation

/// How often and how patiently a read or delete is tried again after a transient failure.
///
/// Transient means: the connection failed or timed out, RunPod answered 5xx, or 429. A `Retry-After` from RunPod
/// is honoured (it replaces the backoff when longer). Tries are bounded both in count and in total time; a
/// `createPod` is never retried by the client (the launcher decides, see `RunPodAPIError.mayHaveBeenApplied`).
public struct RetryPolicy: Sendable, Hashable {
    /// Total tries, the first one included (1 = no retry).
    public var maxAttempts: Int
    /// Delay before the first retry; doubled on each further one.
    public var base: Duration
    /// Longest single backoff delay.
    public var cap: Duration
    /// Longest time from the first try until giving up, waits included: a retry whose wait would end past it is not made.
    public var maxTotal: Duration
    /// Randomise each delay to between half and all of it ("equal jitter") so many clients do not retry in step.
    public var jitter: Bool

    /// Creates a policy.
    public init(maxAttempts: Int, base: Duration, cap: Duration, maxTotal: Duration, jitter: Bool) {
        self.maxAttempts = max(1, maxAttempts)
        self.base = base
        self.cap = cap
        self.maxTotal = maxTotal
        self.jitter = jitter
    }

    /// One try, no retry.
    public static let none = RetryPolicy(maxAttempts: 1, base: .zero, cap: .zero, maxTotal: .zero, jitter: false)

    /// Exponential backoff: `base`, `2·base`, `4·base`, … each at most `cap`, with jitter unless told otherwise.
    public static func exponential(
        maxAttempts: Int = 4, base: Duration = .milliseconds(500), cap: Duration = .seconds(8), maxTotal: Duration = .seconds(60),
        jitter: Bool = true
    ) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, base: base, cap: cap, maxTotal: maxTotal, jitter: jitter)
    }

    /// The default for reads and deletes: 4 tries, 0.5 s doubling to at most 8 s, within 60 s, jittered.
    public static let `default` = RetryPolicy.exponential()

    /// The backoff before retry number `retry` (1 = the first retry), before any `Retry-After`.
    public func backoff(beforeRetry retry: Int) -> Duration {
        guard retry >= 1 else { return .zero }
        let shift = min(retry - 1, 30)
        var delay = base * (1 << shift)
        if delay > cap { delay = cap }
        if jitter {
            let fraction = Double.random(in: 0.5...1.0)
            delay = delay * fraction
        }
        return delay
    }

    /// The wait before retry number `retry`, or nil when the policy says stop: out of tries, or the wait would end
    /// after `maxTotal` (counted from the first try, `elapsed` ago).
    public func delay(beforeRetry retry: Int, retryAfter: Duration?, elapsed: Duration) -> Duration? {
        guard retry < maxAttempts else { return nil }
        var wait = backoff(beforeRetry: retry)
        if let retryAfter, retryAfter > wait { wait = retryAfter }
        guard elapsed + wait <= maxTotal else { return nil }
        return wait
    }
}
