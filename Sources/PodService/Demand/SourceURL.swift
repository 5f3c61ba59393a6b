import Foundation

/// A source's URL split into what is sent and what is secret: the userinfo (`user:password@`) and the values of
/// query parameters that look like credentials (`?token=…`). Everything shown to a person goes through `redacted`.
struct SourceURL: Sendable, Hashable {
    /// The URL as written.
    let text: String
    /// The parsed URL.
    let components: URLComponents

    /// Parses `text`, requiring one of `schemes` and a host; the error says what to write, as in `example`.
    init(_ text: String, key: String, schemes: [String], example: String) throws(DemandSourceError) {
        let shown = Self.redact(text)
        let written = schemes.map { "\($0)://" }.joined(separator: " or ")
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw .spec(key, "'\(shown)' is not a URL; write \(key) = \"\(example)\".")
        }
        guard schemes.contains(scheme) else {
            throw .spec(key, "must start with \(written), not \(scheme)://; write \(key) = \"\(example)\".")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .spec(key, "'\(shown)' has no host; write \(key) = \"\(example)\".")
        }
        self.text = text
        self.components = components
    }

    /// The URL with its secrets replaced by `***`.
    var redacted: String { Self.redact(text) }

    /// The user name from the userinfo, percent-decoded (nil when absent or empty).
    var user: String? { components.user.flatMap { $0.isEmpty ? nil : $0 } }

    /// The password from the userinfo, percent-decoded (nil when absent or empty).
    var password: String? { components.password.flatMap { $0.isEmpty ? nil : $0 } }

    /// Every secret in the URL, decoded and as written, for scrubbing messages.
    var secrets: [String] {
        var found: [String] = []
        if let password { found.append(password) }
        if let written = components.percentEncodedPassword, !written.isEmpty { found.append(written) }
        // `https://TOKEN@host`: a user name with no password is a token.
        if password == nil, let user { found.append(user) }
        for item in components.queryItems ?? [] where Self.isSensitive(item.name) {
            if let value = item.value, !value.isEmpty { found.append(value) }
        }
        return found.sorted { $0.count > $1.count }
    }

    /// The URL without userinfo (which goes in a header instead), as a string.
    var withoutUserinfo: String {
        var copy = components
        copy.user = nil
        copy.password = nil
        return copy.string ?? text
    }

    /// `Authorization: Basic …` for a URL that carries userinfo.
    var basicAuthorization: String? {
        guard user != nil || password != nil else { return nil }
        return "Basic " + Data("\(user ?? ""):\(password ?? "")".utf8).base64EncodedString()
    }

    /// Replaces the userinfo of `text` and the values of credential-like query parameters with `***`. Works on any
    /// text, parseable or not, so that even a malformed URL in an error message leaks nothing.
    static func redact(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let afterScheme = text[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        var result = String(text[..<schemeEnd.upperBound])
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            if let colon = userinfo.firstIndex(of: ":"), colon != userinfo.startIndex {
                result += userinfo[..<colon] + ":***"
            } else {
                result += "***"
            }
            result += authority[at...]
        } else {
            result += authority
        }
        let rest = afterScheme[authorityEnd...]
        guard let question = rest.firstIndex(of: "?") else { return result + rest }
        result += rest[...question]
        let query = rest[rest.index(after: question)...]
        let fragmentStart = query.firstIndex(of: "#") ?? query.endIndex
        let pairs = query[..<fragmentStart].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, isSensitive(String(parts[0])) else { return String(pair) }
            return parts[0] + "=***"
        }
        return result + pairs.joined(separator: "&") + query[fragmentStart...]
    }

    /// Whether a query parameter's name suggests a credential.
    static func isSensitive(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["token", "key", "secret", "pass", "auth", "sig", "credential"].contains { lowered.contains($0) }
    }
}
