import Foundation

/// Turns RunPod's answers into values or into a `RunPodAPIError` a person can read. Never crashes on bad input.
enum ResponseDecoding {
    /// Decodes a success body, or throws `.malformedResponse` naming the field that broke the contract.
    static func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, operation: String, mayHaveBeenApplied: Bool) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch let error as DecodingError {
            throw RunPodAPIError(
                operation: operation, kind: .malformedResponse, mayHaveBeenApplied: mayHaveBeenApplied,
                message: "RunPod's answer (HTTP \(response.status)) does not match the API contract: \(explain(error, body: response.body))")
        } catch {
            throw RunPodAPIError(
                operation: operation, kind: .malformedResponse, mayHaveBeenApplied: mayHaveBeenApplied,
                message: "RunPod's answer (HTTP \(response.status)) could not be read: \(error)")
        }
    }

    /// One sentence saying what is wrong with a body, naming the field (`pods[0].status`) when there is one.
    static func explain(_ error: DecodingError, body: Data) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "required field `\(path(context.codingPath + [key]))` is missing"
        case .valueNotFound(_, let context):
            return "required field `\(path(context.codingPath))` is null"
        case .typeMismatch(let type, let context):
            return "field `\(path(context.codingPath))` is not \(describe(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return describeUnparseable(body) }
            return "field `\(path(context.codingPath))` has a value this client does not understand"
        @unknown default:
            return "\(error)"
        }
    }

    /// What a body that is not JSON at all looks like: empty, an HTML page, or cut short.
    static func describeUnparseable(_ body: Data) -> String {
        let text = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return "the body is empty" }
        if text.hasPrefix("<") { return "an HTML page instead of JSON" }
        if text.hasPrefix("{") || text.hasPrefix("[") { return "the JSON is cut short or invalid" }
        return "the body is not JSON"
    }

    /// Decodes an RFC 9457 problem document; nil when the body is not one.
    static func problem(from response: HTTPResponse) -> RunPod.Problem? {
        guard let problem = try? JSONDecoder().decode(RunPod.Problem.self, from: response.body) else { return nil }
        if problem.title == nil && problem.detail == nil && problem.errors == nil && problem.status == nil { return nil }
        return problem
    }

    /// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
    static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return .seconds(max(0, seconds)) }
        if let seconds = Double(value), seconds.isFinite { return .milliseconds(Int64(max(0, seconds) * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return out.isEmpty ? "(top level)" : out
    }

    private static func describe(_ type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type == Int.self || type == Int64.self { return "an integer" }
        if type == Double.self || type == Float.self { return "a number" }
        if type == Bool.self { return "a boolean" }
        let name = String(describing: type)
        if name.hasPrefix("Array") { return "an array" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return "a \(name)"
    }
}

extension RunPodAPIError {
    /// The error for an HTTP error status, with RunPod's problem document when it sent one.
    static func fromHTTP(_ response: HTTPResponse, operation: String) -> RunPodAPIError {
        let problem = ResponseDecoding.problem(from: response)
        let retryAfter = ResponseDecoding.retryAfter(response.header("Retry-After"))
        var message = "RunPod answered \(response.status) \(HTTPStatusText.reason(response.status))"
        if let problem {
            if let detail = problem.detail, !detail.isEmpty { message += ": \(detail)" } else if let title = problem.title { message += ": \(title)" }
            if let errors = problem.errors, !errors.isEmpty { message += " [" + errors.joined(separator: "; ") + "]" }
        } else if !response.body.isEmpty {
            let shape = ResponseDecoding.describeUnparseable(response.body)
            message += shape == "the body is not JSON" ? " (not a problem document)" : " (\(shape))"
        }
        if let retryAfter { message += ", Retry-After \(retryAfter)" }
        return RunPodAPIError(operation: operation, kind: .http(status: response.status), problem: problem, retryAfter: retryAfter, message: message)
    }

    /// One short line saying what happened on this try (`503 Service Unavailable`, `no answer within 30 s`).
    public var attemptLine: String {
        switch kind {
        case .http(let status):
            var line = "\(status) \(HTTPStatusText.reason(status))"
            if let detail = problem?.detail { line += ": \(detail)" }
            if let retryAfter { line += " (Retry-After \(retryAfter))" }
            return line
        case .transport, .timeout, .malformedResponse:
            return message
        }
    }
}

/// Reason phrases for the statuses RunPod uses, so messages read "429 Too Many Requests".
enum HTTPStatusText {
    static func reason(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 410: "Gone"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: status >= 500 ? "Server Error" : "Error"
        }
    }
}
