import Foundation
import TOMLKit

extension DemandSourceSpec: Codable {
    /// Reads `{"kind": "redis", "url": "…", "queue": "celery"}`. A spec that is wrong throws `DecodingError.dataCorrupted`
    /// whose debug description is the `DemandSourceError`'s (and whose underlying error is that error).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        var fields: [String: SourceField] = [:]
        for key in container.allKeys {
            fields[key.stringValue] = Self.field(container, key)
        }
        do {
            try self.init(fields: fields)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath + (error.key.map { [AnyKey($0)] as [any CodingKey] } ?? []), debugDescription: error.description,
                    underlyingError: error))
        }
    }

    /// Writes the keys `init(from:)` reads, passwords included: encode `redacted` for anything a person sees.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        for (key, field) in fields.sorted(by: { $0.key < $1.key }) {
            switch field {
            case .string(let text): try container.encode(text, forKey: AnyKey(key))
            case .integer(let value): try container.encode(value, forKey: AnyKey(key))
            case .number(let value): try container.encode(value, forKey: AnyKey(key))
            case .other: break
            }
        }
    }

    private static func field(_ container: KeyedDecodingContainer<AnyKey>, _ key: AnyKey) -> SourceField {
        if let text = try? container.decode(String.self, forKey: key) { return .string(text) }
        if let value = try? container.decode(Int.self, forKey: key) { return .integer(value) }
        if let value = try? container.decode(Double.self, forKey: key) { return .number(value) }
        if (try? container.decode(Bool.self, forKey: key)) != nil { return .other("a boolean") }
        if (try? container.decodeNil(forKey: key)) == true { return .other("null") }
        return .other("an array or an object")
    }
}

extension DemandSourceSpec {
    /// Reads a `source` inline table from profiles.toml (`source = {kind = "prometheus", url = "…", query = "…"}`).
    /// The error's `key` is the key inside `source`, for the caller to report as `pools.NAME.source.KEY` with its line.
    public init(toml table: TOMLTable) throws(DemandSourceError) {
        var fields: [String: SourceField] = [:]
        for key in table.keys {
            guard let value = table[key] else { continue }
            if let text = value.string {
                fields[key] = .string(text)
            } else if let number = value.int {
                fields[key] = .integer(number)
            } else if let number = value.double {
                fields[key] = .number(number)
            } else {
                fields[key] = .other(Self.describe(value.type))
            }
        }
        try self.init(fields: fields)
    }

    private static func describe(_ type: TOMLType) -> String {
        switch type {
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        default: "a \(type.description)"
        }
    }
}

/// A coding key spelled by the data.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
