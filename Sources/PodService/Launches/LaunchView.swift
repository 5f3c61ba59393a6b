import Foundation
import NIOCore

/// A launch as the API shows it (the contract's `Launch` schema): every property always present, `null` while
/// unknown; dates RFC 3339 in UTC with milliseconds; `cost` as of `now`; `error` as `{kind, message}` or `null`.
public struct LaunchView: Sendable, Encodable {
    /// The launch shown.
    public var launch: Launch
    /// When `cost` is counted to (for a live pod).
    public var now: Date

    /// The view of `launch` at `now`.
    public init(_ launch: Launch, now: Date) {
        self.launch = launch
        self.now = now
    }

    /// The launch JSON: one line (the SSE `data:` field can carry it as it is).
    public static func encode(_ launch: Launch, now: Date) -> ByteBuffer {
        ByteBuffer(bytes: data(LaunchView(launch, now: now)))
    }

    /// One page of the list: `{"pods": [...], "nextCursor": …}` (`null` on the last page).
    public static func encodeList(_ launches: [Launch], nextCursor: String?, now: Date) -> ByteBuffer {
        ByteBuffer(bytes: data(Page(pods: launches.map { LaunchView($0, now: now) }, nextCursor: nextCursor)))
    }

    private enum CodingKeys: String, CodingKey {
        case id, state, podId, name, pool, gpuTypeId, dataCenterId, costPerHr, urls, createdAt, readyAt, endedAt, cost, error
    }

    /// Encodes every property in the contract's order, `null` included (a synthesized `encode` would leave nils out).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(launch.id, forKey: .id)
        try container.encode(launch.state.rawValue, forKey: .state)
        try container.encode(optional: launch.podID, forKey: .podId)
        try container.encode(launch.name, forKey: .name)
        try container.encode(optional: launch.pool, forKey: .pool)
        try container.encode(optional: launch.gpuTypeID, forKey: .gpuTypeId)
        try container.encode(optional: launch.dataCenterID, forKey: .dataCenterId)
        try container.encode(optional: launch.costPerHour.map(Self.amount), forKey: .costPerHr)
        try container.encode(optional: launch.urls.map(URLs.init), forKey: .urls)
        try container.encode(Self.timestamp(launch.createdAt), forKey: .createdAt)
        try container.encode(optional: launch.readyAt.map(Self.timestamp), forKey: .readyAt)
        try container.encode(optional: launch.endedAt.map(Self.timestamp), forKey: .endedAt)
        try container.encode(Self.amount(launch.cost(at: now)), forKey: .cost)
        try container.encode(optional: launch.error.map(Failure.init), forKey: .error)
    }

    /// A USD amount the JSON can carry: non-negative and finite (0 otherwise; an encoder refuses NaN and infinity).
    static func amount(_ value: Double) -> Double {
        value.isFinite && value > 0 ? value : 0
    }

    /// `2026-11-29T10:15:30.250Z`: RFC 3339, UTC, to the nearest millisecond (a time stored as 1.001 s is a binary
    /// fraction just below it, which rounding down would show as 1.000).
    public static func timestamp(_ date: Date) -> String {
        let totalMilliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        // Beyond what a launch can hold (a corrupt row): shown as the epoch rather than trapping on the conversion.
        let milliseconds = abs(totalMilliseconds) < 1e15 ? Int64(totalMilliseconds) : 0
        let (days, dayMilliseconds) = Self.floorDivide(milliseconds, 86_400_000)
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        let seconds = dayMilliseconds / 1000
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":"
            + pad(seconds % 60, 2) + "." + pad(dayMilliseconds % 1000, 3) + "Z"
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    private static func civilDate(daysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// One encoder for every view; JSONEncoder is safe to share once configured.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    private static func data(_ value: some Encodable) -> Data {
        do {
            return try encoder.encode(value)
        } catch {
            // Unreachable: strings, finite numbers and nulls always encode. A service still answers valid JSON.
            return Data("{}".utf8)
        }
    }

    /// `urls`: port → URL, the ports as strings, in port order.
    private struct URLs: Encodable {
        var byPort: [Int: String]

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            for port in byPort.keys.sorted() {
                try container.encode(byPort[port] ?? "", forKey: Key(stringValue: String(port)))
            }
        }
    }

    /// `error`: `{kind, message}`.
    private struct Failure: Encodable {
        var kind: String
        var message: String

        init(_ failure: LaunchFailure) {
            kind = failure.kind
            message = failure.message
        }
    }

    private struct Page: Encodable {
        var pods: [LaunchView]
        var nextCursor: String?

        private enum CodingKeys: String, CodingKey {
            case pods, nextCursor
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(pods, forKey: .pods)
            try container.encode(optional: nextCursor, forKey: .nextCursor)
        }
    }
}

extension KeyedEncodingContainer {
    /// `value`, or `null` when it is nil (where `encodeIfPresent` would leave the key out).
    fileprivate mutating func encode(optional value: (some Encodable)?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
