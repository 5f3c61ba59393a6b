import Foundation

/// Where a Redis broker is and how to log in, from a Celery-style broker URL:
/// `redis://[[user]:password@]host[:port][/db]` (port 6379 and database 0 unless given).
struct RedisEndpoint: Sendable, Hashable {
    let url: SourceURL
    let host: String
    let port: Int
    let username: String?
    let password: String?
    let database: Int

    init(_ text: String) throws(DemandSourceError) {
        let lowered = text.lowercased()
        if lowered.hasPrefix("rediss://") {
            throw .spec("url", "TLS (rediss://) is not supported by this reader; reach the broker over redis:// (a private network or a tunnel).")
        }
        if lowered.hasPrefix("unix://") || lowered.hasPrefix("redis+socket://") || lowered.hasPrefix("sentinel://") {
            throw .spec("url", "only TCP brokers are supported; write url = \"\(DemandSourceSpec.redisExample)\".")
        }
        let url = try SourceURL(text, key: "url", schemes: ["redis"], example: DemandSourceSpec.redisExample)
        let path = url.components.path
        let database: Int
        if path.isEmpty || path == "/" {
            database = 0
        } else if let number = Int(path.dropFirst()), number >= 0, path.hasPrefix("/") {
            database = number
        } else {
            throw .spec("url", "the path '\(path)' is not a database number; write /0 to /15, as in \(DemandSourceSpec.redisExample).")
        }
        if let port = url.components.port, !(1...65535).contains(port) {
            throw .spec("url", "port \(port) is out of range (1-65535).")
        }
        self.url = url
        // URLComponents keeps the brackets of an IPv6 literal; connecting needs the bare address.
        host = (url.components.host ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        port = url.components.port ?? 6379
        username = url.user
        password = url.password
        self.database = database
    }

    /// Celery's lists for `queue`: kombu's Redis transport keeps priority 0 in the list named after the queue and
    /// priorities 3, 6 and 9 in `queue + "\x06\x16" + step` (`PRIORITY_STEPS = [0, 3, 6, 9]`, `sep = '\x06\x16'` in
    /// kombu/transport/redis.py; Flower's utils/broker.py sums the same four lists).
    static func celeryLists(for queue: String) -> [String] {
        [queue] + [3, 6, 9].map { "\(queue)\u{06}\u{16}\($0)" }
    }
}
