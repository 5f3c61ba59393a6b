import Foundation

/// Where the service keeps its state, from `--database`: `sqlite:PATH` (the default, embedded, under
/// `$XDG_STATE_HOME/runpod-launcher/service.sqlite`) or, with several replicas, `postgres://…` (next issue).
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    /// A throw-away in-memory SQLite database (tests and `demo --service`).
    case sqliteMemory

    /// Parses `--database`. Throws a message naming what was wrong and what to write instead.
    public init(parsing text: String) throws(DatabaseLocationError) {
        if text == "sqlite::memory:" {
            self = .sqliteMemory
            return
        }
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }  // sqlite:///abs/path
            guard !path.isEmpty else { throw .init("--database sqlite: needs a path, as in sqlite:/var/lib/runpod-launcher/service.sqlite") }
            self = .sqlite(path: path)
            return
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            throw .init(
                "PostgreSQL (--database postgres://…) is not supported yet: it comes with several replicas. "
                    + "Use the default embedded SQLite database, or --database sqlite:PATH.")
        }
        throw .init("--database \"\(text)\" is not a database URL: use sqlite:PATH (for example sqlite:/var/lib/runpod-launcher/service.sqlite).")
    }

    /// The default: `$XDG_STATE_HOME/runpod-launcher/service.sqlite` (`~/.local/state/…` when unset).
    public static func standard(environment: [String: String]) -> DatabaseLocation {
        .sqlite(path: ServicePaths.stateDirectory(environment: environment).appendingPathComponent("service.sqlite").path)
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .sqliteMemory: "sqlite::memory:"
        }
    }
}

public struct DatabaseLocationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The service's directories, per the XDG base directory specification.
public enum ServicePaths {
    /// `$XDG_STATE_HOME/runpod-launcher` (`~/.local/state/runpod-launcher` when unset or relative).
    public static func stateDirectory(environment: [String: String]) -> URL {
        base(environment["XDG_STATE_HOME"], fallback: ".local/state", environment: environment).appendingPathComponent("runpod-launcher")
    }

    /// `$XDG_CONFIG_HOME/runpod-launcher` (`~/.config/runpod-launcher` when unset or relative).
    public static func configDirectory(environment: [String: String]) -> URL {
        base(environment["XDG_CONFIG_HOME"], fallback: ".config", environment: environment).appendingPathComponent("runpod-launcher")
    }

    private static func base(_ value: String?, fallback: String, environment: [String: String]) -> URL {
        if let value, value.hasPrefix("/") { return URL(fileURLWithPath: value) }
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return URL(fileURLWithPath: home).appendingPathComponent(fallback)
    }
}
