import Foundation

/// A RunPod API key. Its `description` is redacted so it cannot leak through string interpolation or logging.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself. Use only to build the `Authorization` header.
    public let secret: String

    public init(_ secret: String) { self.secret = secret }

    public var description: String { "<redacted API key>" }
    public var debugDescription: String { description }
}

/// Where an API key was found, for `doctor` and for error messages (never the key itself).
public enum CredentialSource: Sendable, Hashable, CustomStringConvertible {
    case flag
    case environment(variable: String)
    /// runpod-python's `[profile] api_key` or runpodctl's top-level `apikey` in `~/.runpod/config.toml`.
    case configFile(path: String, profile: String?)

    public var description: String {
        switch self {
        case .flag: "--api-key"
        case .environment(let variable): "$\(variable)"
        case .configFile(let path, let profile?): "\(path) [\(profile)]"
        case .configFile(let path, nil): "\(path) (apikey)"
        }
    }
}

/// A key and where it came from.
public struct ResolvedCredential: Sendable, Hashable {
    public var key: APIKey
    public var source: CredentialSource
    public init(key: APIKey, source: CredentialSource) {
        self.key = key
        self.source = source
    }
}
