import ArgumentParser
import Foundation

/// `--older-than` values: whole numbers with a unit, largest unit first, as in `45s`, `30m`, `2h`, `1d`, `1h30m`.
///
/// Strict on purpose: the value decides which pods are terminated, so `30` (seconds? minutes?), `1.5h`, `2H`,
/// `-1h`, `0m` or `30m1h` are refused with a message rather than guessed at.
enum AgeArgument {
    private static let units: [(suffix: Character, seconds: Int64)] = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
    /// Longer than any pod could have lived on RunPod; also keeps the arithmetic far from overflow.
    static let maximum = Duration.seconds(366 * 86_400)

    /// Parses `text`; throws a `ValidationError` (exit 64) naming the flag and saying what is accepted.
    static func parse(_ text: String, flag: String = "--older-than") throws -> Duration {
        let usage = "use a whole number and a unit, as in 30m, 2h, 1d or 1h30m (units: d, h, m, s)"
        guard !text.isEmpty else { throw ValidationError("\(flag) is empty: \(usage).") }
        var total: Int64 = 0
        var digits = ""
        var nextUnit = 0  // Units must come largest first, each at most once.
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                guard digits.count <= 9 else { throw ValidationError("\(flag) '\(text)' is too large: at most \(maxDays) days.") }
                continue
            }
            guard let index = units.firstIndex(where: { $0.suffix == character }) else {
                throw ValidationError("\(flag) '\(text)' is not a duration: \(usage).")
            }
            guard !digits.isEmpty, index >= nextUnit else { throw ValidationError("\(flag) '\(text)' is not a duration: \(usage).") }
            guard let value = Int64(digits) else { throw ValidationError("\(flag) '\(text)' is not a duration: \(usage).") }
            total += value * units[index].seconds
            digits = ""
            nextUnit = index + 1
        }
        guard digits.isEmpty, nextUnit > 0 else {
            throw ValidationError("\(flag) '\(text)' is not a duration (a number needs a unit): \(usage).")
        }
        guard total > 0 else { throw ValidationError("\(flag) must be more than zero (leave it out to include pods of any age).") }
        let duration = Duration.seconds(total)
        guard duration <= maximum else { throw ValidationError("\(flag) '\(text)' is too large: at most \(maxDays) days.") }
        return duration
    }

    private static var maxDays: Int64 { maximum.components.seconds / 86_400 }
}
