import Foundation
import Synchronization

/// RunPod's request budget as last reported in the `RateLimit` / `RateLimit-Policy` headers
/// (IETF ratelimit-headers draft: `"minute";r=0;t=12, "hour";r=2800;t=1812`, `"minute";q=60;w=60, …`).
public struct RateLimitStatus: Sendable, Hashable {
    /// One window (`minute`, `hour`, `day`).
    public struct Window: Sendable, Hashable {
        public var name: String
        /// Requests left in this window (`r`).
        public var remaining: Int?
        /// Time until the window resets (`t`).
        public var resetsIn: Duration?
        /// The window's quota (`q`, from `RateLimit-Policy`).
        public var quota: Int?
        /// The window's length (`w`, from `RateLimit-Policy`).
        public var length: Duration?

        /// Creates a window.
        public init(name: String, remaining: Int? = nil, resetsIn: Duration? = nil, quota: Int? = nil, length: Duration? = nil) {
            self.name = name
            self.remaining = remaining
            self.resetsIn = resetsIn
            self.quota = quota
            self.length = length
        }
    }

    /// The windows, in the order RunPod listed them.
    public var windows: [Window]

    /// Creates a status from windows.
    public init(windows: [Window]) { self.windows = windows }

    /// Parses the two headers; nil when neither is present or nothing in them parses.
    public init?(rateLimit: String?, policy: String?) {
        var windows: [Window] = []
        func window(_ name: String) -> Int {
            if let index = windows.firstIndex(where: { $0.name == name }) { return index }
            windows.append(Window(name: name))
            return windows.count - 1
        }
        for member in Self.members(rateLimit) {
            let index = window(member.name)
            if let r = member.params["r"].flatMap(Int.init) { windows[index].remaining = r }
            if let t = member.params["t"].flatMap(Int.init) { windows[index].resetsIn = .seconds(t) }
        }
        for member in Self.members(policy) {
            let index = window(member.name)
            if let q = member.params["q"].flatMap(Int.init) { windows[index].quota = q }
            if let w = member.params["w"].flatMap(Int.init) { windows[index].length = .seconds(w) }
        }
        guard !windows.isEmpty else { return nil }
        self.windows = windows
    }

    /// The window with the fewest requests left (the one that will bite first).
    public var tightest: Window? {
        windows.filter { $0.remaining != nil }.min { ($0.remaining ?? .max) < ($1.remaining ?? .max) }
    }

    /// A structured-field list: members separated by commas, each `"name";key=value;key=value`.
    /// Tolerant: a member that does not parse is skipped rather than failing the whole header.
    private static func members(_ header: String?) -> [(name: String, params: [String: String])] {
        guard let header else { return [] }
        return header.split(separator: ",").compactMap { member in
            let parts = member.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = parts.first, !first.isEmpty else { return nil }
            let name = first.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            var params: [String: String] = [:]
            for part in parts.dropFirst() {
                let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { params[pair[0]] = pair[1] }
            }
            return (name, params)
        }
    }
}

/// The last rate-limit budget a client saw, shared by every copy of that client.
final class RateLimitBox: Sendable {
    private let value = Mutex<RateLimitStatus?>(nil)

    func update(_ status: RateLimitStatus?) {
        guard let status else { return }
        value.withLock { $0 = status }
    }

    var current: RateLimitStatus? { value.withLock { $0 } }
}
