import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes to a ``Console``'s stderr, so logs go where the user (or a test) reads messages.
struct ConsoleLogHandler: LogHandler {
    let label: String
    let console: any Console
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        console.err("\(event.level.rawValue.uppercased()) \(label): \(event.message)\(fields.isEmpty ? "" : " [\(fields)]")")
    }
}

/// Logging setup: libraries log, the executable configures. Done once per process.
enum LoggingSetup {
    private static let bootstrapped = Mutex(false)

    /// A logger at `level` writing to `console`, for the libraries a command calls.
    static func logger(label: String = "runpod-launcher", level: Logger.Level, console: any Console) -> Logger {
        Logger(label: label) { label in ConsoleLogHandler(label: label, console: console, logLevel: level) }
    }

    /// Bootstraps swift-log to stderr at `level`, once per process (later calls do nothing).
    static func bootstrapProcess(level: Logger.Level, console: any Console) {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in ConsoleLogHandler(label: label, console: console, logLevel: level) }
    }

    /// The level from `-v` (repeatable) or `RUNPOD_LAUNCHER_LOG_LEVEL`; warning by default.
    static func level(verbosity: Int, environment: [String: String]) throws -> Logger.Level {
        switch verbosity {
        case 1: return .info
        case 2: return .debug
        case 3...: return .trace
        default: break
        }
        guard let text = environment["RUNPOD_LAUNCHER_LOG_LEVEL"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return .warning
        }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw CLIError.usage("RUNPOD_LAUNCHER_LOG_LEVEL='\(text)' is not a log level; use one of \(names).")
        }
        return level
    }
}
