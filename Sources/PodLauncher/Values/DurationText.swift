import Foundation

/// Durations as people write and read them: `90s`, `10m`, `2h`, `1h30m`, `1.5h`, `250ms`; a bare number is seconds.
public enum DurationText {
    /// Parses `text`; nil when it is not a non-negative duration.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !trimmed.isEmpty else { return nil }
        if let seconds = Double(trimmed) { return seconds.isFinite && seconds >= 0 ? milliseconds(seconds * 1000) : nil }
        var total = 0.0
        var number = ""
        var index = trimmed.startIndex
        var sawUnit = false
        while index < trimmed.endIndex {
            let character = trimmed[index]
            if character.isNumber || character == "." {
                number.append(character)
                index = trimmed.index(after: index)
                continue
            }
            var unit = ""
            while index < trimmed.endIndex, trimmed[index].isLetter {
                unit.append(trimmed[index])
                index = trimmed.index(after: index)
            }
            guard let value = Double(number), value.isFinite, let scale = unitSeconds[unit] else { return nil }
            total += value * scale
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit else { return nil }
        return milliseconds(total * 1000)
    }

    /// `2h0m5s`, `10m`, `42s`, `1.5s`, `250ms`: the shortest exact-enough form.
    public static func format(_ duration: Duration) -> String {
        let total = max(0, duration.seconds)
        if total < 1 { return "\(Int((total * 1000).rounded()))ms" }
        if total < 60 {
            return total == total.rounded() ? "\(Int(total))s" : String(format: "%.1fs", total)
        }
        let whole = Int(total.rounded())
        let (hours, minutes, seconds) = (whole / 3600, whole % 3600 / 60, whole % 60)
        var text = hours > 0 ? "\(hours)h\(minutes)m" : "\(minutes)m"
        if seconds > 0 || hours == 0 { text += "\(seconds)s" }
        if hours > 0, seconds == 0, minutes == 0 { text = "\(hours)h" }
        return text
    }

    private static let unitSeconds: [String: Double] = [
        "ms": 0.001, "s": 1, "sec": 1, "secs": 1, "m": 60, "min": 60, "mins": 60, "h": 3600, "hr": 3600, "hrs": 3600, "d": 86_400,
    ]

    private static func milliseconds(_ value: Double) -> Duration? {
        guard value.isFinite, value < 1e15 else { return nil }
        return .milliseconds(Int64(value.rounded()))
    }
}
