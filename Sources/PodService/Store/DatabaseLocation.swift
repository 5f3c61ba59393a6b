import Foundation

/// Where the service keeps its state, from `--database`: `sqlite:PATH` (the default, embedded, under
/// `$XDG_STATE_HOME/runpod-launcher/service.sqlite`) or, for several replicas, `postgres://USER:PASSWORD@HOST:PORT/DB`.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    /// A throw-away in-memory SQLite database (tests and `demo --service`).
    case sqliteMemory
    /// A PostgreSQL database that several replicas share.
    case postgres(PostgresLocation)

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
            self = .postgres(try PostgresLocation(parsing: text))
            return
        }
        throw .init(
            "--database \"\(PostgresLocation.redacting(text))\" is not a database URL: use sqlite:PATH (for example "
                + "sqlite:/var/lib/runpod-launcher/service.sqlite) or postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
    }

    /// `--database` if given, else `$RUNPOD_LAUNCHER_DATABASE`, else the default file. A PostgreSQL URL without a
    /// password takes `$PGPASSWORD` (as psql does), so the password need not be on a command line.
    public static func resolve(_ flag: String?, environment: [String: String]) throws(DatabaseLocationError) -> DatabaseLocation {
        guard let text = flag ?? environment["RUNPOD_LAUNCHER_DATABASE"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return .standard(environment: environment)
        }
        var location = try DatabaseLocation(parsing: text)
        if case .postgres(var postgres) = location, postgres.password == nil, let password = environment["PGPASSWORD"], !password.isEmpty {
            postgres.password = password
            location = .postgres(postgres)
        }
        return location
    }

    /// The default: `$XDG_STATE_HOME/runpod-launcher/service.sqlite` (`~/.local/state/…` when unset).
    public static func standard(environment: [String: String]) -> DatabaseLocation {
        .sqlite(path: ServicePaths.stateDirectory(environment: environment).appendingPathComponent("service.sqlite").path)
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .sqliteMemory: "sqlite::memory:"
        case .postgres(let location): location.description
        }
    }
}

/// A PostgreSQL server and database, from `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]`. Its
/// description never shows the password.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// libpq's `sslmode`, with its meanings: only `verify-full` checks the server's certificate and name
    /// (`allow` is read as `prefer`, `verify-ca` as `verify-full`).
    public enum TLSMode: String, Sendable, Hashable {
        /// Plain TCP (a loopback or private network).
        case disable
        /// TLS when the server offers it, without checking its certificate (the default, as libpq's).
        case prefer
        /// TLS or no connection, without checking the certificate.
        case require
        /// TLS with the server's certificate checked against the system's roots and its name.
        case verifyFull = "verify-full"

        init?(libpq value: String) {
            switch value {
            case "allow": self = .prefer
            case "verify-ca": self = .verifyFull
            default: self.init(rawValue: value)
            }
        }
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses a `postgres://` URL; the error names what is missing, never the password.
    public init(parsing text: String) throws(DatabaseLocationError) {
        let shown = Self.redacting(text)
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw .init("--database \"\(shown)\" is not a PostgreSQL URL: write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .init("--database \"\(shown)\" names no host: write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        // No user at all: $PGUSER, else this process's user, as psql does.
        let user = components.user ?? ProcessInfo.processInfo.environment["PGUSER"] ?? ProcessInfo.processInfo.userName
        guard !user.isEmpty else {
            throw .init("--database \"\(shown)\" names no user: write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw .init("--database \"\(shown)\" names no database: write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", let value?):
                guard let mode = TLSMode(libpq: value) else {
                    throw .init("--database: sslmode=\(value) is not one of disable, allow, prefer, require, verify-ca, verify-full")
                }
                tls = mode
            default:
                throw .init("--database: the URL option \"\(item.name)\" is not known (only sslmode=disable|prefer|require is)")
            }
        }
        self.init(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 }, database: database.removingPercentEncoding ?? database, tls: tls)
    }

    public var description: String {
        let secret = password == nil ? "" : ":***"
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(username)\(secret)@\(bracketed):\(port)/\(database)" + (tls == .prefer ? "" : "?sslmode=\(tls.rawValue)")
    }

    /// `text` with any password in it replaced by `***` (for messages about a URL that did not parse).
    static func redacting(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text[schemeEnd.upperBound...].lastIndex(of: "@") else { return text }
        let userInfo = text[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return text[..<colon] + ":***" + text[at...]
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
