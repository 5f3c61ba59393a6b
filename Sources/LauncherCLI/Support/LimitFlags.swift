import ArgumentParser
import Foundation
import PodLauncher

extension Flags {
    /// Budget limits, waiting for capacity and the pod-side deadline (`launch` and `run`).
    public struct Limits: ParsableArguments, Sendable {
        @Option(
            name: .customLong("max-lifetime"),
            help: ArgumentHelp(
                "Terminate the pod once it has existed this long (90s, 10m, 2h, 1h30m). `run` guards the whole run; `launch` "
                    + "guards only while it waits (add --pod-side-deadline for after). Exit 124 when crossed.",
                valueName: "DURATION"))
        public var maxLifetime: String?

        @Option(
            name: .customLong("max-cost"),
            help: ArgumentHelp(
                "Terminate the pod once its estimated cost (RunPod's rate × time since creation) reaches USD. Exit 124 when crossed.",
                valueName: "USD"))
        public var maxCost: Double?

        @Option(
            name: .customLong("wait-for-capacity"),
            help: ArgumentHelp(
                "When no requested GPU has stock, keep trying (catalog read, then create) with backoff for up to DURATION "
                    + "(exit 75 when it runs out).",
                valueName: "DURATION"))
        public var waitForCapacity: String?

        @Flag(
            name: .customLong("pod-side-deadline"),
            help: ArgumentHelp(
                "Also make the pod terminate itself at --max-lifetime, even if this machine dies: wraps the container start "
                    + "command (needs --start-command; see `launch --help`)."))
        public var podSideDeadline = false

        @Option(
            name: .customLong("start-command"),
            help: ArgumentHelp(
                "The image's own start command (what its CMD runs), which the --pod-side-deadline wrapper runs.", valueName: "COMMAND"))
        public var startCommand: String?

        public init() {}

        public func validate() throws {
            if let maxLifetime { _ = try Self.duration(maxLifetime, flag: "--max-lifetime", positive: true) }
            if let waitForCapacity { _ = try Self.duration(waitForCapacity, flag: "--wait-for-capacity", positive: false) }
            if let maxCost, !(maxCost.isFinite && maxCost > 0) {
                throw ValidationError("--max-cost must be a positive number of USD, as in 2.50 (got \(maxCost)).")
            }
            if let startCommand, startCommand.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("--start-command is empty.")
            }
        }

        /// `--max-lifetime` as a `Duration`.
        var maxLifetimeDuration: Duration? { maxLifetime.flatMap(DurationText.parse) }

        /// `--wait-for-capacity` as a `Duration`.
        var waitForCapacityDuration: Duration? { waitForCapacity.flatMap(DurationText.parse) }

        static func duration(_ text: String, flag: String, positive: Bool) throws -> Duration {
            guard let duration = DurationText.parse(text) else {
                throw ValidationError("\(flag) '\(text)' is not a duration: write 90s, 10m, 2h or 1h30m (a bare number is seconds).")
            }
            if positive, duration <= .zero { throw ValidationError("\(flag) must be positive (got '\(text)').") }
            guard duration <= .seconds(30 * 86_400) else { throw ValidationError("\(flag) must be at most 30 days (got '\(text)').") }
            return duration
        }
    }
}
