import Foundation
import Logging
import PodLauncher
import RunPodAPI

/// The configuration of one run, resolved flag > environment > `~/.runpod/config.toml` profile > `Defaults`.
public struct Settings: Sendable {
    /// RunPod's API host (the client appends `/v2/…`).
    public var apiBaseURL: URL
    /// How app ports are reached (`{podId}` and `{port}` are replaced).
    public var proxyURLTemplate: String
    /// The log level from `-v` or `RUNPOD_LAUNCHER_LOG_LEVEL`.
    public var logLevel: Logger.Level
    /// The `--profile` table of config.toml, when given.
    public var profile: String?
    /// The `--api-key` value, when given.
    var apiKeyFlag: String?
    /// The environment the run sees.
    var environment: [String: String]

    /// Resolves the settings every command shares.
    public static func resolve(_ global: Flags.Global, environment: [String: String]) throws -> Settings {
        let apiBaseURL: URL
        do {
            apiBaseURL = try APIBaseURL.resolve(flag: global.apiURL, environment: environment, fallback: Defaults.apiBaseURL)
        } catch let error as ConfigurationError {
            throw CLIError.usage(error.message)
        }
        let proxy = environment["RUNPOD_LAUNCHER_PROXY_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? Defaults.proxyURLTemplate
        guard proxy.contains("{podId}") else {
            throw CLIError.usage(
                "RUNPOD_LAUNCHER_PROXY_URL='\(proxy)' must contain {podId} (and usually {port}), as in \(Defaults.proxyURLTemplate).")
        }
        return Settings(
            apiBaseURL: apiBaseURL, proxyURLTemplate: proxy,
            logLevel: try LoggingSetup.level(verbosity: global.verbose, environment: environment),
            profile: global.profile, apiKeyFlag: global.apiKey, environment: environment)
    }

    /// The API key and where it came from: `--api-key` > `RUNPOD_API_KEY` > `$HOME/.runpod/config.toml` (`--profile`).
    /// Throws `ConfigurationError` when there is none or the file is unusable.
    public func credential() throws -> ResolvedCredential {
        try CredentialResolver(environment: environment).resolve(flag: apiKeyFlag, profile: profile)
    }
}
