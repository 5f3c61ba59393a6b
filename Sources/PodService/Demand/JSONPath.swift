import Foundation

/// A JSON document, as decoded for reading one value out of it.
indirect enum SourceJSON: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([SourceJSON])
    case object([String: SourceJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([SourceJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: SourceJSON].self))
        }
    }

    /// "a string", "an object": for messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A small JSON path: an optional `$`, then `.key` or `key`, `[0]`, `["key"]`, and `[field=value]`, which picks the
/// first element of an array whose `field` is `value` (so Flower's `{"active_queues": [{"name": "celery",
/// "messages": 3}]}` is read with `active_queues[name=celery].messages`, whatever the order of the queues).
struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
        case match(field: String, value: String)
    }

    let steps: [Step]
    let description: String

    /// Parses `text`; a malformed path fails as an `invalidSpec` error about `key`.
    init(_ text: String, key: String) throws(DemandSourceError) {
        description = text
        var steps: [Step] = []
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if rest.hasPrefix("$") { rest = rest.dropFirst() }
        func fail(_ why: String) -> DemandSourceError {
            .spec(
                key,
                "'\(text)' is not a path: \(why). Write keys with dots and indexes in brackets, as in $.data[0].value or active_queues[name=celery].messages."
            )
        }
        var first = true
        while !rest.isEmpty {
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { throw fail("a '[' is never closed") }
                let inner = rest[rest.index(after: rest.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                rest = rest[rest.index(after: close)...]
                if let index = Int(inner) {
                    guard index >= 0 else { throw fail("index \(index) is negative") }
                    steps.append(.index(index))
                } else if let quoted = Self.unquote(inner) {
                    steps.append(.key(quoted))
                } else if let equals = inner.firstIndex(of: "=") {
                    let field = inner[..<equals].trimmingCharacters(in: .whitespaces)
                    let raw = inner[inner.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                    guard !field.isEmpty else { throw fail("'[\(inner)]' names no field before '='") }
                    steps.append(.match(field: field, value: Self.unquote(raw) ?? raw))
                } else {
                    throw fail("'[\(inner)]' is neither an index, a quoted key nor field=value")
                }
            } else {
                if rest.hasPrefix(".") {
                    rest = rest.dropFirst()
                } else if !first {
                    throw fail("expected '.' or '[' before '\(rest)'")
                }
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                let name = String(rest[..<end])
                guard !name.isEmpty else { throw fail("a key is empty") }
                steps.append(.key(name))
                rest = rest[end...]
            }
            first = false
        }
        self.steps = steps
    }

    private static func unquote(_ text: String) -> String? {
        guard text.count >= 2, let quote = text.first, quote == "\"" || quote == "'", text.last == quote else { return nil }
        return String(text.dropFirst().dropLast())
    }

    /// The value the path points at, or a message saying where the document stopped matching.
    func value(in document: SourceJSON) -> Result<SourceJSON, Mismatch> {
        var current = document
        var walked = "$"
        for step in steps {
            switch (step, current) {
            case (.key(let name), .object(let members)):
                guard let next = members[name] else {
                    let keys = members.keys.sorted().prefix(10).joined(separator: ", ")
                    return .failure(Mismatch("\(walked) has no key '\(name)' (its keys: \(keys.isEmpty ? "none" : keys))"))
                }
                current = next
                walked += ".\(name)"
            case (.index(let index), .array(let elements)):
                guard index < elements.count else {
                    return .failure(Mismatch("\(walked) has \(elements.count) elements, so no [\(index)]"))
                }
                current = elements[index]
                walked += "[\(index)]"
            case (.match(let field, let wanted), .array(let elements)):
                let found = elements.first { element in
                    guard case .object(let members) = element, let value = members[field] else { return false }
                    return Self.text(of: value) == wanted
                }
                guard let found else { return .failure(Mismatch("\(walked) has no element whose \(field) is '\(wanted)'")) }
                current = found
                walked += "[\(field)=\(wanted)]"
            default:
                return .failure(Mismatch("\(walked) is \(current.typeName), so the path cannot go on with \(Self.describe(step))"))
            }
        }
        return .success(current)
    }

    private static func text(of value: SourceJSON) -> String? {
        switch value {
        case .string(let text): text
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case .bool(let flag): String(flag)
        default: nil
        }
    }

    private static func describe(_ step: Step) -> String {
        switch step {
        case .key(let name): "key '\(name)'"
        case .index(let index): "[\(index)]"
        case .match(let field, let value): "[\(field)=\(value)]"
        }
    }
}

/// Where a path stopped matching a document, or why a number cannot be a backlog.
struct Mismatch: Error, Sendable {
    let message: String
    init(_ message: String) { self.message = message }
}
