import Foundation
import NIOCore

/// A small JSON request body (pool settings, pushed demand, lease requests), read with the same strict reader and
/// field checks as `POST /v1/pods` (`LaunchRequest`): a duplicate key, an unknown key or a wrong value is a 422
/// naming it; a body that is not a JSON object is a 400.
struct BodyFields {
    private var values: [String: JSONValue] = [:]
    private var reader = FieldReader()

    init(_ body: ByteBuffer, known: [String]) throws(Problem) {
        guard case .object(let members) = try LaunchRequest.object(from: Array(body.readableBytesView)) else { return }
        for member in members {
            let at = JSONPointer.root.appending(member.key)
            if values[member.key] != nil {
                reader.fail(at, "appears more than once")
            } else if !known.contains(member.key) {
                reader.fail(at, "is not a field of this body (the fields are \(known.joined(separator: ", ")))")
            } else {
                values[member.key] = member.value
            }
        }
    }

    var errors: [Problem.FieldError] { reader.errors }

    mutating func fail(_ key: String, _ detail: String) { reader.fail(JSONPointer.root.appending(key), detail) }

    mutating func fail(_ pointer: JSONPointer, _ detail: String) { reader.fail(pointer, detail) }

    /// The value of `key` unless it is absent (or null when `nullIsAbsent`).
    func value(_ key: String, nullIsAbsent: Bool = false) -> JSONValue? {
        guard let value = values[key] else { return nil }
        if nullIsAbsent, case .null = value { return nil }
        return value
    }

    mutating func int(_ key: String, in range: ClosedRange<Int>, required: Bool = false) -> Int? {
        guard let value = values[key] else {
            if required { fail(key, "is required") }
            return nil
        }
        return reader.integer(value, at: JSONPointer.root.appending(key), in: range)
    }

    /// Throws the 422 when anything was wrong.
    func check() throws(Problem) {
        if !errors.isEmpty { throw LaunchRequest.validation(errors) }
    }
}

/// Pool settings as JSON (the API's camelCase keys), read with every error listed, and written back.
enum PoolBody {
    static let keys = [
        "profile", "min", "max", "perPodConcurrency", "idleTimeoutSeconds", "scaleDownDelaySeconds", "activationBacklog", "maxCostPerHour",
        "drainTimeoutSeconds", "drainTimeoutAction", "source",
    ]

    /// The body of `PUT /v1/pools/{name}` as settings, or a 422 naming every field that is wrong.
    static func settings(name: String, body: ByteBuffer) throws(Problem) -> PoolSettings {
        guard PoolSettings.isValidName(name) else {
            throw Problem.validation([.parameter("name", "must be 1 to 64 letters, digits, '-' or '_'")])
        }
        var fields = try BodyFields(body, known: keys)
        var settings = PoolSettings(name: name, max: 1)
        if let value = fields.value("profile", nullIsAbsent: true) {
            if case .string(let text) = value, !text.isEmpty { settings.profile = text } else { fields.fail("profile", "must be a profile name") }
        }
        settings.min = fields.int("min", in: 0...1000) ?? 0
        settings.max = fields.int("max", in: 1...1000, required: true) ?? 1
        settings.perPodConcurrency = fields.int("perPodConcurrency", in: 1...1000) ?? 1
        settings.idleTimeoutSeconds = fields.int("idleTimeoutSeconds", in: 0...604_800) ?? 300
        settings.scaleDownDelaySeconds = fields.int("scaleDownDelaySeconds", in: 0...86_400) ?? 120
        settings.activationBacklog = fields.int("activationBacklog", in: 0...1_000_000) ?? 0
        settings.drainTimeoutSeconds = fields.int("drainTimeoutSeconds", in: 0...604_800) ?? 900
        if let value = fields.value("maxCostPerHour", nullIsAbsent: true) {
            if case .number(let lexeme) = value, let number = Double(lexeme), number.isFinite, number > 0 {
                settings.maxCostPerHour = number
            } else {
                fields.fail("maxCostPerHour", "must be a positive number of USD per hour, or null for no ceiling")
            }
        }
        if let value = fields.value("drainTimeoutAction") {
            if case .string(let text) = value, let action = PoolSettings.DrainTimeoutAction(rawValue: text) {
                settings.drainTimeoutAction = action
            } else {
                fields.fail("drainTimeoutAction", "must be keepWaiting or terminate")
            }
        }
        if let value = fields.value("source") {
            do {
                settings.source = try JSONDecoder().decode(DemandSourceSpec.self, from: Data(value.canonical.utf8))
            } catch let DecodingError.dataCorrupted(context) where context.underlyingError is DemandSourceError {
                let error = context.underlyingError as? DemandSourceError
                var at = JSONPointer.root.appending("source")
                if let key = error?.key { at = at.appending(key) }
                fields.fail(at, error?.message ?? "is not a demand source")
            } catch {
                fields.fail("source", "must be an object with a kind: leases, push, http-json, prometheus or redis")
            }
        }
        if fields.errors.isEmpty {
            for problem in settings.problems() { fields.fail(problem.key, problem.message) }
        }
        try fields.check()
        return settings
    }

    /// Settings as the API shows them.
    static func json(_ settings: PoolSettings) -> [String: Any] {
        // Redacted: a source URL's password or token is stored, never shown.
        let source = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(settings.source.redacted))) ?? [:]
        return [
            "profile": settings.profile ?? NSNull(), "min": settings.min, "max": settings.max, "perPodConcurrency": settings.perPodConcurrency,
            "idleTimeoutSeconds": settings.idleTimeoutSeconds, "scaleDownDelaySeconds": settings.scaleDownDelaySeconds,
            "activationBacklog": settings.activationBacklog, "maxCostPerHour": settings.maxCostPerHour ?? NSNull(),
            "drainTimeoutSeconds": settings.drainTimeoutSeconds, "drainTimeoutAction": settings.drainTimeoutAction.rawValue, "source": source,
        ]
    }
}
