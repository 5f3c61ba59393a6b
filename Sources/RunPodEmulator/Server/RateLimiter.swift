import Foundation
import Synchronization

/// RunPod's per-key request quota over a one-minute window, and the `RateLimit` / `RateLimit-Policy` headers
/// (IETF structured fields, `"minute";r=…;t=…` and `"minute";q=…;w=60`) that accompany every authenticated answer.
final class RateLimiter: Sendable {
    /// Quota reported when the scenario sets no limit; generous enough for benchmarks, and not enforced.
    static let unlimitedQuota = 1_000_000

    struct Verdict: Sendable {
        var allowed: Bool
        var remaining: Int
        var resetSeconds: Int
        var quota: Int
        var rateLimit: String { "\"minute\";r=\(remaining);t=\(resetSeconds)" }
        var policy: String { "\"minute\";q=\(quota);w=60" }
    }

    private let limit: Mutex<Int?>
    private let windows = Mutex<[String: (start: Date, count: Int)]>([:])

    init(perMinute: Int?) { limit = Mutex(perMinute) }

    /// Changes the quota (nil = no limit).
    func setLimit(perMinute: Int?) { limit.withLock { $0 = perMinute } }

    /// Counts a request for `key` at `now` and says whether it is within the quota.
    func admit(key: String, now: Date) -> Verdict {
        let limit = limit.withLock { $0 }
        return windows.withLock { windows in
            var window = windows[key] ?? (now, 0)
            if now.timeIntervalSince(window.start) >= 60 || now < window.start { window = (now, 0) }
            window.count += 1
            windows[key] = window
            let reset = max(1, Int((60 - now.timeIntervalSince(window.start)).rounded(.up)))
            let quota = limit ?? Self.unlimitedQuota
            let allowed = limit.map { window.count <= $0 } ?? true
            return Verdict(allowed: allowed, remaining: max(0, quota - window.count), resetSeconds: reset, quota: quota)
        }
    }
}
