import Foundation
import Hummingbird

/// The window and buckets of a billing query, resolved as RunPod documents: `startTime`/`endTime` (default: the last
/// 30 days) snapped outward to whole buckets, or `lastN` buckets ending with the current one; `bucketSize` one of
/// hour, day, week (ISO, from Monday), month, year (UTC). Malformed values are 422; `lastN` with a time, or a start not
/// before the end, is 400; so is a window of more than 10,000 buckets (the emulator's own limit).
struct BillingWindow: Sendable {
    var start: Date
    var end: Date
    var bucketSize: String
    /// `[start, end)` of each bucket, oldest first.
    var buckets: [(start: Date, end: Date)]

    static let maximumBuckets = 10_000

    static func parse(_ parameters: Parameters, now: Date) -> Result<BillingWindow, Reply> {
        var errors: [String] = []
        let size = parameters.get("bucketSize") ?? "day"
        if !["hour", "day", "week", "month", "year"].contains(size) {
            errors.append("query.bucketSize: value must be one of 'hour', 'day', 'week', 'month', 'year'")
        }
        func time(_ name: String) -> Date? {
            guard let text = parameters.get(name) else { return nil }
            guard let date = LogQuery.parseTimestamp(text) else {
                errors.append("query.\(name): must be an RFC 3339 date-time")
                return nil
            }
            return date
        }
        let startTime = time("startTime")
        let endTime = time("endTime")
        var lastN: Int?
        if let text = parameters.get("lastN") {
            if let value = Int(text), value >= 1 { lastN = value } else { errors.append("query.lastN: must be an integer >= 1") }
        }
        guard errors.isEmpty else { return .failure(.validationFailed(errors)) }
        if lastN != nil && (parameters.get("startTime") != nil || parameters.get("endTime") != nil) {
            return .failure(.problem(.badRequest, detail: "lastN is mutually exclusive with startTime and endTime"))
        }
        let calendar = Self.calendar
        let component = Self.component(size)
        var start: Date
        var end: Date
        if let lastN {
            end = Self.ceiling(now, component, calendar, strict: true)
            start = calendar.date(byAdding: component, value: -lastN, to: end) ?? end
        } else {
            start = Self.floor(startTime ?? now.addingTimeInterval(-30 * 86_400), component, calendar)
            end = Self.ceiling(endTime ?? now, component, calendar, strict: false)
            guard start < end else { return .failure(.problem(.badRequest, detail: "startTime must be before endTime")) }
        }
        var buckets: [(Date, Date)] = []
        var cursor = start
        while cursor < end {
            guard buckets.count < maximumBuckets, let next = calendar.date(byAdding: component, value: 1, to: cursor) else {
                return .failure(.problem(.badRequest, detail: "the window holds more than \(maximumBuckets) \(size) buckets"))
            }
            buckets.append((cursor, next))
            cursor = next
        }
        start = buckets.first?.0 ?? start
        end = buckets.last?.1 ?? end
        return .success(BillingWindow(start: start, end: end, bucketSize: size, buckets: buckets))
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        calendar.firstWeekday = 2
        return calendar
    }()

    private static func component(_ size: String) -> Calendar.Component {
        switch size {
        case "hour": .hour
        case "week": .weekOfYear
        case "month": .month
        case "year": .year
        default: .day
        }
    }

    private static func floor(_ date: Date, _ component: Calendar.Component, _ calendar: Calendar) -> Date {
        calendar.dateInterval(of: component, for: date)?.start ?? date
    }

    /// The end of the bucket `date` lands in; a date on a boundary stays unless `strict` (the current bucket's end).
    private static func ceiling(_ date: Date, _ component: Calendar.Component, _ calendar: Calendar, strict: Bool) -> Date {
        let start = floor(date, component, calendar)
        if start == date && !strict { return date }
        return calendar.date(byAdding: component, value: 1, to: start) ?? date
    }
}
