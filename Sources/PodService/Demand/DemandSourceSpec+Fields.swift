import Foundation

/// One value of a `source` table, whichever format it came from (TOML or JSON), so both are checked by one reader.
enum SourceField: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case number(Double)
    /// Any other type, by its name for messages ("a boolean", "an array").
    case other(String)
}

extension DemandSourceSpec {
    /// The keys each kind accepts, in the order they are documented.
    static func keys(for kind: Kind) -> [String] {
        switch kind {
        case .leases: ["kind"]
        case .push: ["kind", "ttlSeconds"]
        case .httpJSON: ["kind", "url", "path", "timeoutSeconds"]
        case .prometheus: ["kind", "url", "query", "timeoutSeconds"]
        case .redis: ["kind", "url", "queue", "timeoutSeconds"]
        case .postgres: ["kind", "url", "query", "timeoutSeconds"]
        }
    }

    /// Reads a `source` table: `kind` first, then the keys that kind takes, refusing unknown keys.
    init(fields: [String: SourceField]) throws(DemandSourceError) {
        let kinds = Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        guard let kindField = fields["kind"] else {
            throw .spec("kind", "is missing; write kind = one of \(kinds).")
        }
        guard case .string(let kindText) = kindField else {
            throw .spec("kind", "expected a string (one of \(kinds)), got \(Self.describe(kindField)).")
        }
        guard let kind = Kind(rawValue: kindText) else {
            throw .spec("kind", "'\(kindText)' is not a kind of source; write one of \(kinds).")
        }
        let known = Self.keys(for: kind)
        for key in fields.keys.sorted() where !known.contains(key) {
            throw .spec(key, "is not a key of a \(kind.rawValue) source; its keys are \(known.joined(separator: ", ")).")
        }
        let reader = SourceFieldReader(fields: fields)
        let timeout = try reader.seconds("timeoutSeconds") ?? Self.defaultTimeout
        let source: Source
        switch kind {
        case .leases:
            source = .leases
        case .push:
            source = .push(ttl: try reader.seconds("ttlSeconds") ?? Self.defaultPushTTL)
        case .httpJSON:
            let url = try reader.string("url", example: Self.httpExample)
            let path = try reader.string("path", example: "active_queues[name=celery].messages")
            source = .httpJSON(url: url, path: path)
        case .prometheus:
            let url = try reader.string("url", example: Self.prometheusExample)
            let query = try reader.string("query", example: "sum(celery_queue_length{queue=\\\"celery\\\"})")
            source = .prometheus(url: url, query: query)
        case .redis:
            let url = try reader.string("url", example: Self.redisExample)
            let queue = try reader.optionalString("queue") ?? Self.defaultQueue
            source = .redis(url: url, queue: queue)
        case .postgres:
            let url = try reader.string("url", example: Self.postgresExample)
            let query = try reader.string("query", example: Self.postgresQueryExample)
            source = .postgres(url: url, query: query)
        }
        try self.init(source, timeout: timeout)
    }

    /// The table `init(fields:)` reads back, with durations in seconds.
    var fields: [String: SourceField] {
        var out: [String: SourceField] = ["kind": .string(kind.rawValue)]
        switch source {
        case .leases: break
        case .push(let ttl): out["ttlSeconds"] = Self.field(seconds: ttl)
        case .httpJSON(let url, let path):
            out["url"] = .string(url)
            out["path"] = .string(path)
        case .prometheus(let url, let query):
            out["url"] = .string(url)
            out["query"] = .string(query)
        case .redis(let url, let queue):
            out["url"] = .string(url)
            out["queue"] = .string(queue)
        case .postgres(let url, let query):
            out["url"] = .string(url)
            out["query"] = .string(query)
        }
        if readsOutside, timeout != Self.defaultTimeout { out["timeoutSeconds"] = Self.field(seconds: timeout) }
        return out
    }

    private static func field(seconds duration: Duration) -> SourceField {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? .integer(Int(seconds)) : .number(seconds)
    }

    static func describe(_ field: SourceField) -> String {
        switch field {
        case .string: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .other(let name): name
        }
    }
}

/// Typed reads of a `source` table, failing with the key and what to write.
private struct SourceFieldReader {
    let fields: [String: SourceField]

    func string(_ key: String, example: String) throws(DemandSourceError) -> String {
        guard let text = try optionalString(key) else { throw .spec(key, "is missing; write \(key) = \"\(example)\".") }
        return text
    }

    func optionalString(_ key: String) throws(DemandSourceError) -> String? {
        guard let field = fields[key] else { return nil }
        guard case .string(let text) = field else {
            throw .spec(key, "expected a string, got \(DemandSourceSpec.describe(field)).")
        }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw .spec(key, "is empty.") }
        return text
    }

    func seconds(_ key: String) throws(DemandSourceError) -> Duration? {
        let seconds: Double
        switch fields[key] {
        case nil: return nil
        case .integer(let value)?: seconds = Double(value)
        case .number(let value)?: seconds = value
        case .some(let field): throw .spec(key, "expected a number of seconds, got \(DemandSourceSpec.describe(field)).")
        }
        guard seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw .spec(key, "must be a positive number of seconds, not \(seconds).")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
