import Foundation
import PodLauncher

/// The bearer token every `/v1` request must carry. It never appears in logs, URLs, answers, events or the database:
/// only in the user's own environment or token file.
public struct ServiceToken: Sendable, CustomStringConvertible {
    private let value: [UInt8]
    /// Where it came from, for the start-up line (never the token itself).
    public let source: String

    public init(_ value: String, source: String) {
        self.value = Array(value.utf8)
        self.source = source
    }

    /// True when `candidate` is the token, compared in constant time (for a given length).
    public func matches(_ candidate: String) -> Bool {
        let bytes = Array(candidate.utf8)
        guard bytes.count == value.count, !value.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in bytes.indices { difference |= bytes[index] ^ value[index] }
        return difference == 0
    }

    /// Never the token.
    public var description: String { "ServiceToken(from \(source))" }

    /// The environment variable that carries a token.
    public static let environmentKey = "RUNPOD_LAUNCHER_SERVICE_TOKEN"

    /// The token, in order: `RUNPOD_LAUNCHER_SERVICE_TOKEN`, then `tokenFile`, then the generated file
    /// (`$XDG_CONFIG_HOME/runpod-launcher/service-token`), made on first start with 32 random bytes, mode 0600.
    public static func resolve(tokenFile: String?, environment: [String: String]) throws -> (token: ServiceToken, created: Bool) {
        if let value = environment[environmentKey] {
            guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw TokenError("\(environmentKey) is set but empty: set it to a long random string, or unset it to use a token file.")
            }
            return (ServiceToken(value, source: "$\(environmentKey)"), false)
        }
        if let tokenFile { return (try read(tokenFile), false) }
        let file = ServicePaths.configDirectory(environment: environment).appendingPathComponent("service-token").path
        if FileManager.default.fileExists(atPath: file) { return (try read(file), false) }
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let token = PodIdentity.randomHex(64)
        guard FileManager.default.createFile(atPath: file, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw TokenError("could not write a new service token to \(file): check that directory's permissions, or set \(environmentKey).")
        }
        return (ServiceToken(token, source: file), true)
    }

    private static func read(_ path: String) throws -> ServiceToken {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw TokenError("cannot read the service token file \(path): check that it exists and is readable.")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16 else { throw TokenError("the service token in \(path) is shorter than 16 characters: use a long random string.") }
        return ServiceToken(token, source: path)
    }
}

public struct TokenError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
