import Foundation

/// A documented request body shape, checked the way RunPod's validator reports: every violation, as `$.path: message`.
///
/// Only what RunPod's v2 request schemas use: closed objects (`additionalProperties: false` /
/// `unevaluatedProperties: false`), required members, string length and pattern, integer bounds, enums, arrays with
/// item bounds, string maps, and a choice between shapes.
indirect enum BodyShape: Sendable {
    case string(minLength: Int = 0)
    /// A string matching a pattern; `pattern` is the regular expression as RunPod's messages print it.
    case pattern(String, @Sendable (String) -> Bool)
    case nullableString
    case integer(minimum: Int? = nil, maximum: Int? = nil)
    case number(minimum: Double? = nil)
    case boolean
    case enumeration([String])
    case array(BodyShape, minItems: Int = 0, maxItems: Int? = nil)
    /// An object whose members are all strings (`env`).
    case stringMap
    case object(ObjectShape)
    /// The first shape whose JSON type the value has.
    case either([BodyShape])
    case anything

    /// The CUDA version pattern, `^\d+\.\d+$`.
    static let cudaVersion = BodyShape.pattern(#"^\d+\.\d+$"#, CreatePodValidation.isCudaVersion)

    /// Every violation of the shape, in document order (unknown members, missing members, then each member).
    func violations(of value: JSONValue, at path: String = "$") -> [String] {
        switch self {
        case .anything:
            return []
        case .string(let minLength):
            guard let text = value.stringValue else { return ["\(path): expected string, got \(value.typeName)"] }
            return text.count < minLength ? ["\(path): length must be >= \(minLength), but got \(text.count)"] : []
        case .pattern(let pattern, let matches):
            guard let text = value.stringValue else { return ["\(path): expected string, got \(value.typeName)"] }
            return matches(text) ? [] : ["\(path): does not match pattern '\(pattern)'"]
        case .nullableString:
            return value == .null || value.stringValue != nil ? [] : ["\(path): expected string or null, got \(value.typeName)"]
        case .integer(let minimum, let maximum):
            guard case .int(let number) = value else { return ["\(path): expected integer, got \(value.typeName)"] }
            if let minimum, number < minimum { return ["\(path): must be >= \(minimum) but found \(number)"] }
            if let maximum, number > maximum { return ["\(path): must be <= \(maximum) but found \(number)"] }
            return []
        case .number(let minimum):
            let number: Double
            switch value {
            case .int(let whole): number = Double(whole)
            case .double(let fraction): number = fraction
            default: return ["\(path): expected number, got \(value.typeName)"]
            }
            if let minimum, number < minimum { return ["\(path): must be >= \(minimum) but found \(number)"] }
            return []
        case .boolean:
            return value.boolValue == nil ? ["\(path): expected boolean, got \(value.typeName)"] : []
        case .enumeration(let allowed):
            guard let text = value.stringValue else { return ["\(path): expected string, got \(value.typeName)"] }
            return allowed.contains(text) ? [] : ["\(path): value must be one of \(allowed.map { "'\($0)'" }.joined(separator: ", "))"]
        case .array(let item, let minItems, let maxItems):
            guard let items = value.arrayValue else { return ["\(path): expected array, got \(value.typeName)"] }
            var errors: [String] = []
            if items.count < minItems { errors.append("\(path): minimum \(minItems) items required, but found \(items.count) items") }
            if let maxItems, items.count > maxItems {
                errors.append("\(path): maximum \(maxItems) items required, but found \(items.count) items")
            }
            for (index, element) in items.enumerated() { errors += item.violations(of: element, at: "\(path)[\(index)]") }
            return errors
        case .stringMap:
            guard let members = value.objectValue else { return ["\(path): expected object, got \(value.typeName)"] }
            return members.sorted { $0.key < $1.key }.compactMap { key, member in
                member.stringValue == nil ? "\(path).\(key): expected string, got \(member.typeName)" : nil
            }
        case .object(let shape):
            return shape.violations(of: value, at: path)
        case .either(let shapes):
            if let match = shapes.first(where: { $0.accepts(typeOf: value) }) { return match.violations(of: value, at: path) }
            let kinds = shapes.map(\.typeName).joined(separator: " or ")
            return ["\(path): expected \(kinds), got \(value.typeName)"]
        }
    }

    private var typeName: String {
        switch self {
        case .string, .pattern, .enumeration: "string"
        case .nullableString: "string or null"
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .array: "array"
        case .stringMap, .object: "object"
        case .either(let shapes): shapes.map(\.typeName).joined(separator: " or ")
        case .anything: "any"
        }
    }

    private func accepts(typeOf value: JSONValue) -> Bool {
        switch (self, value) {
        case (.string, .string), (.pattern, .string), (.enumeration, .string), (.nullableString, .string), (.nullableString, .null): true
        case (.integer, .int), (.number, .int), (.number, .double), (.boolean, .bool), (.array, .array): true
        case (.stringMap, .object), (.object, .object): true
        case (.either(let shapes), _): shapes.contains { $0.accepts(typeOf: value) }
        case (.anything, _): true
        default: false
        }
    }
}

/// An object's members: their shapes, which are required, and whether others are refused.
struct ObjectShape: Sendable {
    var members: [String: BodyShape]
    var required: [String] = []
    /// Refuse members not listed (RunPod's request schemas all do).
    var closed = true

    func violations(of value: JSONValue, at path: String) -> [String] {
        guard let object = value.objectValue else { return ["\(path): expected object, got \(value.typeName)"] }
        var errors: [String] = []
        if closed {
            for key in object.keys.sorted() where members[key] == nil { errors.append("\(path): additional properties '\(key)' not allowed") }
        }
        for key in required where object[key] == nil { errors.append("\(path): missing property '\(key)'") }
        for (key, member) in object.sorted(by: { $0.key < $1.key }) {
            if let shape = members[key] { errors += shape.violations(of: member, at: "\(path).\(key)") }
        }
        return errors
    }
}
