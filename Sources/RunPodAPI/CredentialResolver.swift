import Foundation
import TOMLKit

/// A problem with the local configuration (API key, config file, base URL), found before anything is sent.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: Sendable, Hashable {
        /// No API key in the flag, the environment or the config file.
        case noAPIKey
        /// The config file has no table for the requested profile.
        case unknownProfile(profile: String, available: [String])
        /// The config file exists but cannot be read or parsed.
        case unreadableConfigFile(path: String)
        /// The API base URL is not an http(s) URL.
        case invalidBaseURL
    }

    public var kind: Kind
    /// What went wrong and how to fix it, for a person. Never contains the key.
    public var message: String

    /// Creates an error.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Finds the API key: `--api-key` > `RUNPOD_API_KEY` > `~/.runpod/config.toml`.
///
/// The config file is read in both shapes RunPod's tools write: runpod-python's `[default]` / `[NAME]` tables with
/// `api_key`, and runpodctl's top-level `apikey`. The file is only ever read, never written.
public struct CredentialResolver: Sendable {
    /// The environment variable runpodctl and the launcher read.
    public static let environmentVariable = "RUNPOD_API_KEY"
    /// The profile used when none is asked for (runpod-python's).
    public static let defaultProfile = "default"

    /// Environment to read (the process's by default).
    public var environment: [String: String]
    /// The config file (default `~/.runpod/config.toml`).
    public var configFilePath: String

    /// Creates a resolver; pass `environment` and `configFilePath` in tests.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, configFilePath: String? = nil) {
        self.environment = environment
        self.configFilePath = configFilePath ?? Self.defaultConfigFilePath(environment: environment)
    }

    /// `~/.runpod/config.toml`, with `~` from `$HOME` when set.
    public static func defaultConfigFilePath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".runpod/config.toml").path
    }

    /// Resolves the key. `flag` is the `--api-key` value; `profile` picks a config-file table (default `default`).
    public func resolve(flag: String? = nil, profile: String? = nil) throws -> ResolvedCredential {
        if let flag = Self.nonEmpty(flag) { return ResolvedCredential(key: APIKey(flag), source: .flag) }
        if let value = Self.nonEmpty(environment[Self.environmentVariable]) {
            return ResolvedCredential(key: APIKey(value), source: .environment(variable: Self.environmentVariable))
        }
        if let found = try fromConfigFile(profile: profile) { return found }
        throw ConfigurationError(
            kind: .noAPIKey,
            message: """
                No RunPod API key found. Set one with --api-key, or export \(Self.environmentVariable)=…, or put \
                `api_key = "…"` under [\(profile ?? Self.defaultProfile)] in \(configFilePath) (what `runpod config` writes). \
                Create a key at https://www.runpod.io/console/user/settings.
                """)
    }

    private func fromConfigFile(profile: String?) throws -> ResolvedCredential? {
        guard FileManager.default.fileExists(atPath: configFilePath) else { return nil }
        let text: String
        do {
            text = try String(contentsOfFile: configFilePath, encoding: .utf8)
        } catch {
            throw ConfigurationError(
                kind: .unreadableConfigFile(path: configFilePath),
                message: "Cannot read the RunPod config file \(configFilePath): \(error.localizedDescription)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(
                kind: .unreadableConfigFile(path: configFilePath),
                message: "The RunPod config file \(configFilePath) is not valid TOML: \(error.description) (\(error.source.debugDescription)).")
        } catch {
            throw ConfigurationError(
                kind: .unreadableConfigFile(path: configFilePath), message: "The RunPod config file \(configFilePath) is not valid TOML.")
        }
        let wanted = profile ?? Self.defaultProfile
        let profiles = table.keys.filter { table[$0]?.table != nil }.sorted()
        if let section = table[wanted]?.table, let key = Self.nonEmpty(section["api_key"]?.string) {
            return ResolvedCredential(key: APIKey(key), source: .configFile(path: configFilePath, profile: wanted))
        }
        // runpodctl's shape, used only when no profile was asked for by name.
        if profile == nil || profile == Self.defaultProfile, let key = Self.nonEmpty(table["apikey"]?.string) {
            return ResolvedCredential(key: APIKey(key), source: .configFile(path: configFilePath, profile: nil))
        }
        if profile != nil || !profiles.isEmpty {
            let list = profiles.isEmpty ? "none" : profiles.map { "[\($0)]" }.joined(separator: ", ")
            let what = profiles.contains(wanted) ? "has a [\(wanted)] table without an `api_key`" : "has no [\(wanted)] profile"
            throw ConfigurationError(
                kind: .unknownProfile(profile: wanted, available: profiles),
                message: "The RunPod config file \(configFilePath) \(what). Profiles present: \(list).")
        }
        return nil
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }
}

/// Where the API lives: `--api-url` flag > `RUNPOD_API_BASE_URL` (RunPod's SDK variable) > the default.
public enum APIBaseURL {
    /// The environment variable RunPod's Python SDK reads.
    public static let environmentVariable = "RUNPOD_API_BASE_URL"

    /// Resolves the base URL; throws `ConfigurationError(.invalidBaseURL)` when the chosen one is not http(s).
    public static func resolve(
        flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment, fallback: URL
    ) throws -> URL {
        let chosen: (value: String, source: String)? =
            if let flag, !flag.isEmpty { (flag, "--api-url") } else if let env = environment[environmentVariable], !env.isEmpty {
                (env, "$\(environmentVariable)")
            } else { nil }
        guard let chosen else { return fallback }
        guard let url = URL(string: chosen.value), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil
        else {
            throw ConfigurationError(
                kind: .invalidBaseURL,
                message: "The API URL from \(chosen.source) (\(chosen.value)) is not an http(s) URL such as https://api.runpod.io.")
        }
        return url
    }
}
