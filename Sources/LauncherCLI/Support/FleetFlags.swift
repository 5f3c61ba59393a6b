import ArgumentParser
import Foundation
import PodLauncher

extension Flags {
    /// `--count`, `--concurrency`, `--min-ready`: launch several identical pods at once (`launch` and `run`).
    public struct Fleet: ParsableArguments, Sendable {
        @Option(
            help: ArgumentHelp(
                "Launch N identical pods concurrently (named NAME-1…NAME-N with --name); all must become ready, or all are terminated.",
                valueName: "N"))
        public var count = 1

        @Option(help: ArgumentHelp("With --count: at most K creates in flight at once (default 8).", valueName: "K"))
        public var concurrency: Int?

        @Option(
            name: .customLong("min-ready"),
            help: ArgumentHelp("With --count: succeed once K pods are ready; pods that fail are terminated and not replaced.", valueName: "K"))
        public var minReady: Int?

        public init() {}

        public func validate() throws {
            guard count >= 1 else { throw ValidationError("--count must be at least 1, not \(count).") }
            guard count <= 1000 else { throw ValidationError("--count must be at most 1000, not \(count).") }
            if let concurrency {
                guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1, not \(concurrency).") }
                guard count > 1 else { throw ValidationError("--concurrency applies to --count N with N > 1.") }
            }
            if let minReady {
                guard (1...count).contains(minReady) else {
                    throw ValidationError("--min-ready must be between 1 and --count (\(count)), not \(minReady).")
                }
            }
        }
    }
}
