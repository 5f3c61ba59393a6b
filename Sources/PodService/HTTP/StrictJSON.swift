import Foundation

// A strict JSON reader for request bodies (every value kept as written, duplicate keys and deep nesting refused,
// nothing that can trap on hostile input), its canonical writer, and JSON Pointers for error locations.

/// A JSON value as read, numbers kept as written (so `1` and `1.0` stay apart) and object members in body order
/// (duplicates included, so they can be refused).
enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([Member])

    struct Member: Sendable, Hashable {
        var key: String
        var value: JSONValue
    }

    /// What a value is, for "got …" in messages: `null`, `true`, `1.5`, `a string`, `an array`, `an object`. Strings
    /// are not repeated: they could be secrets.
    var kind: String {
        switch self {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let lexeme): lexeme.utf8.count <= 24 ? lexeme : String(lexeme.prefix(24)) + "…"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Canonical JSON: no whitespace, object keys sorted by their UTF-8 bytes, numbers normalised (`1.0`, `1e0` and
    /// `1` are all `1`; `2.50` is `2.5`), strings with the minimal escapes.
    var canonical: String {
        var out: [UInt8] = []
        writeCanonical(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func writeCanonical(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let lexeme): out.append(contentsOf: Self.normalized(number: lexeme).utf8)
        case .string(let text): JSONWriter.appendString(text, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.writeCanonical(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            // Sorted by key, then body order (so duplicates, which a request refuses anyway, still sort stably).
            let sorted = members.enumerated().sorted { lhs, rhs in
                lhs.element.key == rhs.element.key
                    ? lhs.offset < rhs.offset : lhs.element.key.utf8.lexicographicallyPrecedes(rhs.element.key.utf8)
            }
            out.append(UInt8(ascii: "{"))
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(member.element.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.element.value.writeCanonical(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// One spelling per number: an integer within ±2^53 as digits, else the shortest `Double` that reads back the
    /// same; a number too large for a `Double` as written.
    static func normalized(number lexeme: String) -> String {
        if JSONReader.isIntegerLexeme(lexeme), let integer = Int(lexeme) { return String(integer) }
        guard let double = Double(lexeme), double.isFinite else { return lexeme }
        if double == double.rounded(), abs(double) < 9_007_199_254_740_992 { return String(Int(double)) }
        return String(describing: double)
    }
}

/// A JSON Pointer (RFC 6901) in its URI fragment form, as RFC 9457's `pointer` is written: `#`, `#/gpus/1`,
/// `#/env/MY%20VAR` (`~` → `~0`, `/` → `~1`, then what a fragment cannot hold percent-encoded).
struct JSONPointer: Sendable, Hashable {
    var text: String

    static let root = JSONPointer(text: "#")

    func appending(_ key: String) -> JSONPointer {
        var out = text + "/"
        for scalar in key.unicodeScalars {
            switch scalar {
            case "~": out += "~0"
            case "/": out += "~1"
            default:
                if scalar.isASCII, Self.fragmentSafe.contains(UInt8(scalar.value)) {
                    out.unicodeScalars.append(scalar)
                } else {
                    for byte in String(scalar).utf8 { out += "%" + Self.hex(byte) }
                }
            }
        }
        return JSONPointer(text: out)
    }

    func appending(_ index: Int) -> JSONPointer { JSONPointer(text: text + "/" + String(index)) }

    /// RFC 3986 `pchar` and `?` (what a fragment may hold unescaped), less `%`.
    private static let fragmentSafe: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@?".utf8))

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }
}

/// Writes JSON strings (shared by the canonical form and `LaunchView`).
enum JSONWriter {
    /// `text` as a JSON string: `"` and `\` escaped, control characters as `\n`, `\t`, … or `\u00XX`; the rest as
    /// it is (UTF-8, `/` unescaped).
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A strict RFC 8259 reader: UTF-8 only, no trailing commas, no comments, no lone surrogates, nesting at most
/// `maxDepth` deep. It never traps: every index is checked, and deep nesting is refused rather than recursed into.
struct JSONReader {
    struct Failure: Error {
        var message: String
        var offset: Int
    }

    /// Deeper than any launch request needs; keeps a hostile body from exhausting the stack.
    static let maxDepth = 32

    private let bytes: [UInt8]
    private var index = 0

    static func read(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var reader = JSONReader(bytes: bytes)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw reader.failure("unexpected \(reader.describeCurrent()) after the value") }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func failure(_ message: String) -> Failure { Failure(message: message, offset: index) }

    private func describeCurrent() -> String {
        guard let byte = current else { return "end of the body" }
        if (0x21...0x7E).contains(byte) { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard let byte = current else { throw failure("unexpected end of the body, expected a value") }
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw failure("nested more than \(Self.maxDepth) levels deep") }
            return byte == UInt8(ascii: "{") ? try object(depth: depth + 1) : try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected \(describeCurrent()), expected a value")
        }
    }

    private mutating func literal(_ word: String, _ value: JSONValue) throws(Failure) -> JSONValue {
        for expected in word.utf8 {
            guard current == expected else { throw failure("unexpected \(describeCurrent()) in '\(word)'") }
            index += 1
        }
        return value
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        index += 1
        var members: [JSONValue.Member] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("unexpected \(describeCurrent()), expected a field name in quotes") }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("unexpected \(describeCurrent()), expected ':'") }
            index += 1
            skipWhitespace()
            members.append(JSONValue.Member(key: key, value: try value(depth: depth)))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(members)
            default: throw failure("unexpected \(describeCurrent()), expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(items)
            default: throw failure("unexpected \(describeCurrent()), expected ',' or ']'")
            }
        }
    }

    /// A number's text as written, after checking RFC 8259's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func number() throws(Failure) -> String {
        let start = index
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false }
        if current == UInt8(ascii: "-") { index += 1 }
        guard isDigit(current) else { throw failure("a number needs a digit here") }
        if current == UInt8(ascii: "0") {
            index += 1
            if isDigit(current) { throw failure("a number must not start with 0") }
        } else {
            while isDigit(current) { index += 1 }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard isDigit(current) else { throw failure("a number needs a digit after '.'") }
            while isDigit(current) { index += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard isDigit(current) else { throw failure("a number needs a digit in its exponent") }
            while isDigit(current) { index += 1 }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// A string's value, escapes decoded; the body's bytes must be UTF-8 and control characters escaped.
    private mutating func string() throws(Failure) -> String {
        let start = index
        index += 1
        var out: [UInt8] = []
        while true {
            guard let byte = current else { throw failure("unexpected end of the body inside a string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: out, as: UTF8.self) else { throw Failure(message: "a string is not valid UTF-8", offset: start) }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                try escape(into: &out)
            case 0..<0x20:
                throw failure("a control character (byte 0x\(String(byte, radix: 16, uppercase: true))) must be escaped in a string")
            default:
                out.append(byte)
                index += 1
            }
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws(Failure) {
        guard let byte = current else { throw failure("unexpected end of the body in an escape") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800...0xDBFF).contains(code) {
                guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw failure("a \\u escape is half of a surrogate pair")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("a \\u escape is half of a surrogate pair") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else { throw failure("a \\u escape is half of a surrogate pair") }
            out.append(contentsOf: String(Character(scalar)).utf8)
        default: throw failure("'\\\(Character(Unicode.Scalar(byte)))' is not a JSON escape")
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Self.hexValue(byte) else { throw failure("a \\u escape needs 4 hex digits") }
            code = code << 4 | UInt32(digit)
            index += 1
        }
        return code
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// True for a number written as an integer: no fraction, no exponent.
    static func isIntegerLexeme(_ lexeme: String) -> Bool {
        !lexeme.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// White space as the contract's patterns see it: ECMA-262 `\s` (its WhiteSpace and LineTerminator; unlike
    /// Unicode's White_Space, not U+0085).
    static func isSchemaWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }
}
