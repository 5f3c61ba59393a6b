import Foundation
import RunPodAPI

/// How often the launcher reads a pod while waiting: starts quick, backs off, and slows further when RunPod's
/// `RateLimit` header says the request budget is running low.
///
/// The standard schedule (2 s, doubling to 10 s) makes at most 8 reads in a pod's first minute and 6 a minute after,
/// well inside RunPod's documented budget of 60 requests a minute: a pod that starts in 25 s costs 4 scheduled reads
/// (a probe of the app, which costs no budget, and one confirming read report it ready as soon as it answers).
public struct PollSchedule: Sendable, Hashable {
    /// Delay after the first poll.
    public var initial: Duration
    /// Each further delay is the previous one times this (≥ 1).
    public var multiplier: Double
    /// Longest delay between polls while the budget is healthy.
    public var maximum: Duration
    /// When a rate-limit window has this many requests left or fewer, polls are spread so the rest last until
    /// the window resets.
    public var lowBudgetThreshold: Int
    /// Longest delay the rate-limit adjustment may impose.
    public var rateLimitCeiling: Duration

    /// Creates a schedule.
    public init(
        initial: Duration, multiplier: Double = 1.5, maximum: Duration, lowBudgetThreshold: Int = 10, rateLimitCeiling: Duration = .seconds(60)
    ) {
        self.initial = initial
        self.multiplier = max(1, multiplier)
        self.maximum = max(initial, maximum)
        self.lowBudgetThreshold = lowBudgetThreshold
        self.rateLimitCeiling = rateLimitCeiling
    }

    /// 2 s, then ×2 up to 10 s.
    public static let standard = PollSchedule(initial: .seconds(2), multiplier: 2, maximum: .seconds(10))

    /// The same delay every time (tests, or a user who knows better).
    public static func fixed(_ interval: Duration) -> PollSchedule {
        PollSchedule(initial: interval, multiplier: 1, maximum: interval)
    }

    /// The delay after poll number `poll` (1 = the first), given the budget RunPod last reported.
    public func delay(afterPoll poll: Int, rateLimit: RateLimitStatus? = nil) -> Duration {
        var delay = initial
        var step = 1
        while step < poll && delay < maximum {
            delay = delay * multiplier
            step += 1
        }
        if delay > maximum { delay = maximum }
        if let window = rateLimit?.tightest, let remaining = window.remaining, remaining <= lowBudgetThreshold,
            let resetsIn = window.resetsIn
        {
            // Spread what is left over the rest of the window; with nothing left, wait for the reset.
            let spread = remaining <= 0 ? resetsIn + .milliseconds(250) : resetsIn / remaining
            if spread > delay { delay = min(spread, rateLimitCeiling) }
        }
        return delay
    }
}
