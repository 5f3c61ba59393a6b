import Foundation
import NIOCore

/// Pool settings as JSON (the API's camelCase keys), read with every error listed, and written back.
enum PoolBody {
    static let keys = [
        "profile", "min", "max", "perPodConcurrency", "idleTimeoutSeconds", "scaleDownDelaySeconds", "activationBacklog", "maxCostPerHour",
        "drainTimeoutSeconds", "drainTimeoutAction", "source",
    ]

    /// The body of `PUT /v1/pools/{name}` as settings, or a 422 naming every field that is wrong.
    static func settings(name: String, body: ByteBuffer) throws -> PoolSettings {
        let object = try object(body)
        var errors: [Problem.FieldError] = []
        guard PoolSettings.isValidName(name) else {
            throw Problem.validation([.parameter("name", "must be 1 to 64 letters, digits, '-' or '_'")])
        }
        for key in object.keys where !keys.contains(key) { errors.append(.pointer("#/\(key)", "is not a pool setting")) }
        var settings = PoolSettings(name: name, max: 1)
        if let value = object["profile"] {
            if let text = value as? String, !text.isEmpty {
                settings.profile = text
            } else {
                errors.append(.pointer("#/profile", "must be a profile name"))
            }
        }
        settings.min = int(object, "min", range: 0...1000, required: false, errors: &errors) ?? 0
        settings.max = int(object, "max", range: 1...1000, required: true, errors: &errors) ?? 1
        settings.perPodConcurrency = int(object, "perPodConcurrency", range: 1...1000, required: false, errors: &errors) ?? 1
        settings.idleTimeoutSeconds = int(object, "idleTimeoutSeconds", range: 0...604_800, required: false, errors: &errors) ?? 300
        settings.scaleDownDelaySeconds = int(object, "scaleDownDelaySeconds", range: 0...86_400, required: false, errors: &errors) ?? 120
        settings.activationBacklog = int(object, "activationBacklog", range: 0...1_000_000, required: false, errors: &errors) ?? 0
        settings.drainTimeoutSeconds = int(object, "drainTimeoutSeconds", range: 0...604_800, required: false, errors: &errors) ?? 900
        if let value = object["maxCostPerHour"], !(value is NSNull) {
            if let number = value as? NSNumber, !isBool(number), number.doubleValue.isFinite, number.doubleValue > 0 {
                settings.maxCostPerHour = number.doubleValue
            } else {
                errors.append(.pointer("#/maxCostPerHour", "must be a positive number of USD per hour, or null for no ceiling"))
            }
        }
        if let value = object["drainTimeoutAction"] {
            if let text = value as? String, let action = PoolSettings.DrainTimeoutAction(rawValue: text) {
                settings.drainTimeoutAction = action
            } else {
                errors.append(.pointer("#/drainTimeoutAction", "must be keepWaiting or terminate"))
            }
        }
        if let value = object["source"] {
            do {
                let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
                settings.source = try JSONDecoder().decode(DemandSourceSpec.self, from: data)
            } catch let DecodingError.dataCorrupted(context) where context.underlyingError is DemandSourceError {
                let error = context.underlyingError as? DemandSourceError
                errors.append(.pointer("#/source" + (error?.key.map { "/\($0)" } ?? ""), error?.message ?? "is not a demand source"))
            } catch {
                errors.append(.pointer("#/source", "must be an object with a kind: leases, push, http-json, prometheus or redis"))
            }
        }
        if errors.isEmpty {
            for problem in settings.problems() { errors.append(.pointer("#/\(problem.key)", problem.message)) }
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        return settings
    }

    /// A JSON object body (an empty body is `{}`), or a 400.
    static func object(_ body: ByteBuffer) throws -> [String: Any] {
        guard body.readableBytes > 0 else { return [:] }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] else {
            throw Problem.badRequest("The body is not a JSON object.")
        }
        return object
    }

    /// An integer field in `range`; a wrong type or value is added to `errors`.
    static func int(_ object: [String: Any], _ key: String, range: ClosedRange<Int>, required: Bool, errors: inout [Problem.FieldError]) -> Int? {
        guard let value = object[key] else {
            if required { errors.append(.pointer("#/\(key)", "is required")) }
            return nil
        }
        guard let number = value as? NSNumber, !isBool(number), number.doubleValue.rounded() == number.doubleValue,
            number.doubleValue >= Double(range.lowerBound), number.doubleValue <= Double(range.upperBound)
        else {
            errors.append(.pointer("#/\(key)", "must be an integer from \(range.lowerBound) to \(range.upperBound)"))
            return nil
        }
        return number.intValue
    }

    /// JSON's `true`/`false` arrive as NSNumbers of type `c` (char): not numbers here.
    private static func isBool(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

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
