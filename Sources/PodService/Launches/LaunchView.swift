import Foundation
import NIOCore

/// A launch as the API shows it (the contract's `Launch` schema): every property always present, `null` while
/// unknown, in the schema's order; dates RFC 3339 in UTC with milliseconds; `cost` as of `now`; `error` as
/// `{kind, message}` or `null`.
///
/// Written by hand rather than through `JSONEncoder`: Foundation's encoder on Linux does not keep key order, leaves
/// nils out unless told otherwise, and refuses NaN; and `GET /v1/pods/{id}` is the service's hottest answer.
public enum LaunchView {
    /// The launch JSON, on one line (the SSE `data:` field can carry it as it is).
    public static func encode(_ launch: Launch, now: Date) -> ByteBuffer {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(launch, now: now, to: &out)
        return ByteBuffer(bytes: out)
    }

    /// One page of the list: `{"pods":[…],"nextCursor":…}` (`null` on the last page).
    public static func encodeList(_ launches: [Launch], nextCursor: String?, now: Date) -> ByteBuffer {
        var out: [UInt8] = []
        out.reserveCapacity(64 + 512 * launches.count)
        out.append(contentsOf: #"{"pods":["#.utf8)
        for (index, launch) in launches.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            write(launch, now: now, to: &out)
        }
        out.append(contentsOf: #"],"nextCursor":"#.utf8)
        writeString(nextCursor, to: &out)
        out.append(UInt8(ascii: "}"))
        return ByteBuffer(bytes: out)
    }

    /// Appends the launch object to `out`.
    static func write(_ launch: Launch, now: Date, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"id":"#.utf8)
        JSONWriter.appendString(launch.id, to: &out)
        out.append(contentsOf: #","state":"#.utf8)
        JSONWriter.appendString(launch.state.rawValue, to: &out)
        out.append(contentsOf: #","podId":"#.utf8)
        writeString(launch.podID, to: &out)
        out.append(contentsOf: #","name":"#.utf8)
        JSONWriter.appendString(launch.name, to: &out)
        out.append(contentsOf: #","pool":"#.utf8)
        writeString(launch.pool, to: &out)
        out.append(contentsOf: #","gpuTypeId":"#.utf8)
        writeString(launch.gpuTypeID, to: &out)
        out.append(contentsOf: #","dataCenterId":"#.utf8)
        writeString(launch.dataCenterID, to: &out)
        out.append(contentsOf: #","costPerHr":"#.utf8)
        if let rate = launch.costPerHour { writeNumber(amount(rate), to: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: #","urls":"#.utf8)
        if let urls = launch.urls {
            out.append(UInt8(ascii: "{"))
            for (index, port) in urls.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(String(port), to: &out)
                out.append(UInt8(ascii: ":"))
                JSONWriter.appendString(urls[port] ?? "", to: &out)
            }
            out.append(UInt8(ascii: "}"))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(contentsOf: #","createdAt":"#.utf8)
        writeDate(launch.createdAt, to: &out)
        out.append(contentsOf: #","readyAt":"#.utf8)
        writeDate(launch.readyAt, to: &out)
        out.append(contentsOf: #","endedAt":"#.utf8)
        writeDate(launch.endedAt, to: &out)
        out.append(contentsOf: #","cost":"#.utf8)
        writeNumber(amount(launch.cost(at: now)), to: &out)
        out.append(contentsOf: #","error":"#.utf8)
        if let error = launch.error {
            out.append(contentsOf: #"{"kind":"#.utf8)
            JSONWriter.appendString(error.kind, to: &out)
            out.append(contentsOf: #","message":"#.utf8)
            JSONWriter.appendString(error.message, to: &out)
            out.append(UInt8(ascii: "}"))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A string, or `null`.
    private static func writeString(_ text: String?, to out: inout [UInt8]) {
        if let text { JSONWriter.appendString(text, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    /// A quoted timestamp, or `null`.
    private static func writeDate(_ date: Date?, to out: inout [UInt8]) {
        guard let date else { return out.append(contentsOf: "null".utf8) }
        out.append(UInt8(ascii: "\""))
        appendTimestamp(date, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// A finite number: whole ones as integers (`0`, not `0.0`), the rest in Swift's shortest round-trip form,
    /// which is valid JSON (`0.0178`, `1e-05`).
    private static func writeNumber(_ value: Double, to out: inout [UInt8]) {
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            out.append(contentsOf: String(Int64(value)).utf8)
        } else {
            out.append(contentsOf: value.description.utf8)
        }
    }

    /// A USD amount the JSON can carry: non-negative and finite (0 otherwise; an encoder refuses NaN and infinity).
    static func amount(_ value: Double) -> Double {
        value.isFinite && value > 0 ? value : 0
    }

    /// `2026-11-29T10:15:30.250Z`: RFC 3339, UTC, to the nearest millisecond (a time stored as 1.001 s is a binary
    /// fraction just below it, which rounding down would show as 1.000).
    public static func timestamp(_ date: Date) -> String {
        var out: [UInt8] = []
        appendTimestamp(date, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `timestamp(date)` to `out`, digit by digit (no formatter, no intermediate strings).
    static func appendTimestamp(_ date: Date, to out: inout [UInt8]) {
        let totalMilliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        // Beyond what a launch can hold (a corrupt row): shown as the epoch rather than trapping on the conversion.
        let milliseconds = abs(totalMilliseconds) < 1e15 ? Int64(totalMilliseconds) : 0
        let (days, dayMilliseconds) = floorDivide(milliseconds, 86_400_000)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let seconds = dayMilliseconds / 1000
        if year < 0 { out.append(UInt8(ascii: "-")) }
        appendDigits(abs(year), width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(seconds / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(seconds / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(seconds % 60, width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(dayMilliseconds % 1000, width: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// `value` (≥ 0) in decimal, zero-padded to `width`.
    private static func appendDigits(_ value: Int64, width: Int, to out: inout [UInt8]) {
        var digits: [UInt8] = []
        var rest = value
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10))
            rest /= 10
        } while rest > 0
        if digits.count < width { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits.count)) }
        out.append(contentsOf: digits.reversed())
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
}
