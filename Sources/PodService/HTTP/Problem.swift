import Foundation
import Hummingbird
import NIOCore

/// An error answer of the service: RFC 9457 problem details, sent as `application/problem+json`.
///
/// `type` is `about:blank` when the status says it all, else one of the service's URNs. Throw one from a route and
/// Hummingbird sends it as it is (`HTTPResponseError`). The static constructors are the answers the service gives;
/// their `detail` never carries the text of an underlying error, which could hold a secret.
public struct Problem: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// A URI reference naming the kind of problem: `about:blank` or a `urn:runpod-launcher:problem:…` URN.
    public var type: String
    /// A short summary of the kind (the status's reason phrase for `about:blank`).
    public var title: String
    /// The HTTP status; in the body as its code.
    public var status: HTTPResponse.Status
    /// What went wrong this time, for a person.
    public var detail: String?
    /// A URI reference to this occurrence.
    public var instance: String?
    /// Every validation error (422 only).
    public var errors: [FieldError]?
    /// Headers sent with the answer besides `Content-Type` (`WWW-Authenticate`, `Allow`, `Retry-After`); not in the body.
    public var headers: HTTPFields

    /// A problem; `title` defaults to the status's reason phrase.
    public init(
        type: String = Problem.aboutBlank, status: HTTPResponse.Status, title: String? = nil, detail: String? = nil, instance: String? = nil,
        errors: [FieldError]? = nil, headers: HTTPFields = [:]
    ) {
        self.type = type
        self.title = title ?? status.reasonPhrase
        self.status = status
        self.detail = detail
        self.instance = instance
        self.errors = errors
        self.headers = headers
    }

    /// `about:blank`: the status says what kind of problem it is.
    public static let aboutBlank = "about:blank"
    /// The `type` of a 422 that lists `errors`.
    public static let validationType = "urn:runpod-launcher:problem:validation"
    /// The `type` of a 409 for an `Idempotency-Key` reused with another body.
    public static let idempotencyConflictType = "urn:runpod-launcher:problem:idempotency-conflict"
    /// The `type` of a 410 for a `Last-Event-ID` the service cannot resume from.
    public static let eventGoneType = "urn:runpod-launcher:problem:event-gone"
    /// The media type of every problem answer.
    public static let mediaType = "application/problem+json"
    /// The `WWW-Authenticate` challenge sent with every 401.
    public static let bearerChallenge = "Bearer realm=\"runpod-launcher\""

    /// "422 Invalid request: 2 errors in the request body." (for logs).
    public var description: String {
        "\(status.code) \(title)" + (detail.map { ": \($0)" } ?? "")
    }
}

// MARK: - The answers the service gives

extension Problem {
    /// The longest piece of a request (an ID, a key, a content type) a `detail` repeats; the rest is cut.
    static let echoLimit = 100

    /// 422: the request is invalid; `errors` lists every error found, not only the first.
    public static func validation(_ errors: [FieldError]) -> Problem {
        let inBody = errors.allSatisfy { $0.pointer != nil }
        let count = errors.count == 1 ? "1 error" : "\(errors.count) errors"
        return Problem(
            type: validationType, status: .unprocessableContent, title: "Invalid request",
            detail: "\(count) in the request\(inBody ? " body" : "").", errors: errors)
    }

    /// 400: the body is not JSON, or not a JSON object (`detail` says where).
    public static func badRequest(_ detail: String) -> Problem {
        Problem(status: .badRequest, detail: detail)
    }

    /// 401: no bearer token, or the wrong one; carries `WWW-Authenticate: Bearer realm="runpod-launcher"`.
    public static func unauthorized(
        _ detail: String = "Send Authorization: Bearer TOKEN (the service token from RUNPOD_LAUNCHER_SERVICE_TOKEN or --token-file)."
    ) -> Problem {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = bearerChallenge
        return Problem(status: .unauthorized, detail: detail, headers: headers)
    }

    /// 404 with a detail of its own (`No route for GET /v2/pods.`).
    public static func notFound(_ detail: String) -> Problem {
        Problem(status: .notFound, detail: detail)
    }

    /// 404: no launch with that ID (any string that is not a launch ID is simply unknown).
    public static func notFound(launchID: String) -> Problem {
        notFound("No launch with ID '\(echo(launchID))'.")
    }

    /// 405, with the `Allow` header RFC 9110 requires.
    public static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> Problem {
        var headers = HTTPFields()
        headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        return Problem(status: .methodNotAllowed, detail: "\(echo(method.rawValue)) is not allowed here; use \(list).", headers: headers)
    }

    /// 406: the client accepts none of the media types the route answers with.
    public static func notAcceptable(_ offered: String) -> Problem {
        Problem(status: .notAcceptable, detail: "This route answers with \(offered); the Accept header allows none of it.")
    }

    /// 409: `key` was used within 24 h, for `launchID`, with a different body.
    public static func idempotencyConflict(key: String, launchID: String) -> Problem {
        Problem(
            type: idempotencyConflictType, status: .conflict, title: "Idempotency-Key reused",
            detail: "Idempotency-Key '\(echo(key))' was used for launch \(launchID) with a different body.")
    }

    /// 410: `Last-Event-ID` is not a position the service can resume from (pruned, or from another database).
    public static func eventGone(_ detail: String) -> Problem {
        Problem(type: eventGoneType, status: .gone, title: "Gone", detail: detail)
    }

    /// 413: the body is larger than `limit` bytes (1 MiB for `POST /v1/pods`).
    public static func payloadTooLarge(limit: Int = 1_048_576) -> Problem {
        let size = limit % 1_048_576 == 0 ? "\(limit / 1_048_576) MiB" : "\(limit) bytes"
        return Problem(status: .contentTooLarge, detail: "The body is larger than \(size).")
    }

    /// 415: a body was sent with a Content-Type other than `application/json` (nil: none at all).
    public static func unsupportedMediaType(_ contentType: String?) -> Problem {
        let got = contentType.map { "got '\(echo($0))'" } ?? "no Content-Type was sent"
        return Problem(status: .unsupportedMediaType, detail: "Send the body as application/json (\(got)).")
    }

    /// 500, saying nothing of the error itself (its text could carry a secret); `reference` lets the operator find
    /// the log line that does.
    public static func `internal`(reference: String? = nil) -> Problem {
        let see = reference.map { "; the service's log has the details under reference \($0)" } ?? "; the service's log has the details"
        return Problem(status: .internalServerError, detail: "The service failed to answer this request\(see).")
    }

    /// 503: the service cannot answer now (starting, shutting down); `retryAfter` seconds become `Retry-After`.
    public static func unavailable(_ detail: String = "The service is shutting down.", retryAfter: Int? = nil) -> Problem {
        var headers = HTTPFields()
        if let retryAfter { headers[.retryAfter] = String(max(0, retryAfter)) }
        return Problem(status: .serviceUnavailable, detail: detail, headers: headers)
    }

    /// `text`, cut to `echoLimit` characters, for repeating a piece of the request in a `detail`.
    static func echo(_ text: String) -> String {
        text.count <= echoLimit ? text : String(text.prefix(echoLimit)) + "…"
    }
}

// MARK: - The answer

extension Problem: HTTPResponseError {
    /// The answer: the problem as `application/problem+json`, with `headers` (and the bearer challenge on a 401).
    public func response() -> Response {
        var fields = headers
        fields[.contentType] = Self.mediaType
        if status == .unauthorized, fields[.wwwAuthenticate] == nil { fields[.wwwAuthenticate] = Self.bearerChallenge }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body())))
    }

    /// `HTTPResponseError`: a thrown `Problem` is sent as `response()`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The JSON body.
    public func body() -> Data {
        // Strings and integers only: encoding cannot fail, but a service answers even if it somehow did.
        (try? Self.encoder.encode(self)) ?? Data(#"{"type":"about:blank","title":"Internal Server Error","status":500}"#.utf8)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        // Sorted: Foundation's encoder on Linux does not keep the order members were encoded in.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

// MARK: - Codable

extension Problem {
    private enum CodingKeys: String, CodingKey {
        case type, title, status, detail, instance, errors
    }

    /// Decodes a problem document (`headers` start empty; `type` defaults to `about:blank` as RFC 9457 says).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let code = try container.decode(Int.self, forKey: .status)
        guard (400...599).contains(code) else {
            throw DecodingError.dataCorruptedError(forKey: .status, in: container, debugDescription: "status \(code) is not an error status")
        }
        self.init(
            type: try container.decodeIfPresent(String.self, forKey: .type) ?? Self.aboutBlank, status: HTTPResponse.Status(code: code),
            title: try container.decodeIfPresent(String.self, forKey: .title), detail: try container.decodeIfPresent(String.self, forKey: .detail),
            instance: try container.decodeIfPresent(String.self, forKey: .instance),
            errors: try container.decodeIfPresent([FieldError].self, forKey: .errors))
    }

    /// Encodes the members RFC 9457 defines, in its order; absent ones are left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(title, forKey: .title)
        try container.encode(status.code, forKey: .status)
        try container.encodeIfPresent(detail, forKey: .detail)
        try container.encodeIfPresent(instance, forKey: .instance)
        try container.encodeIfPresent(errors, forKey: .errors)
    }
}

// MARK: - One validation error

extension Problem {
    /// One validation error and where it is: a JSON Pointer into the body, a query parameter or a header.
    public struct FieldError: Sendable, Hashable, Codable, CustomStringConvertible {
        /// Where the error is; exactly one place.
        public enum Location: Sendable, Hashable {
            /// A JSON Pointer into the request body as a URI fragment (`#/gpus/1`; `#` for the whole body).
            case pointer(String)
            /// A query parameter's name.
            case parameter(String)
            /// A request header's name.
            case header(String)
        }

        /// What is wrong, for a person (`must be an integer ≥ 1 (got 0)`).
        public var detail: String
        /// Where.
        public var location: Location

        /// An error at `location`.
        public init(_ detail: String, at location: Location) {
            self.detail = detail
            self.location = location
        }

        /// An error in the body at `pointer` (`#/env/FOO`).
        public static func pointer(_ pointer: String, _ detail: String) -> FieldError { FieldError(detail, at: .pointer(pointer)) }
        /// An error in the query parameter `name`.
        public static func parameter(_ name: String, _ detail: String) -> FieldError { FieldError(detail, at: .parameter(name)) }
        /// An error in the header `name`.
        public static func header(_ name: String, _ detail: String) -> FieldError { FieldError(detail, at: .header(name)) }

        /// The JSON Pointer, when the error is in the body.
        public var pointer: String? {
            if case .pointer(let value) = location { value } else { nil }
        }
        /// The query parameter, when the error is in one.
        public var parameter: String? {
            if case .parameter(let value) = location { value } else { nil }
        }
        /// The header, when the error is in one.
        public var header: String? {
            if case .header(let value) = location { value } else { nil }
        }

        /// `#/gpus/1: must be a string` (for logs and tests).
        public var description: String {
            switch location {
            case .pointer(let place), .parameter(let place), .header(let place): "\(place): \(detail)"
            }
        }

        private enum CodingKeys: String, CodingKey {
            case detail, pointer, parameter, header
        }

        /// Decodes `{detail, pointer|parameter|header}`; anything but exactly one place is an error.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let places: [Location] = [
                try container.decodeIfPresent(String.self, forKey: .pointer).map(Location.pointer),
                try container.decodeIfPresent(String.self, forKey: .parameter).map(Location.parameter),
                try container.decodeIfPresent(String.self, forKey: .header).map(Location.header),
            ].compactMap { $0 }
            guard places.count == 1, let place = places.first else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "exactly one of pointer, parameter or header must be present"))
            }
            self.init(try container.decode(String.self, forKey: .detail), at: place)
        }

        /// Encodes `{detail, pointer|parameter|header}`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(detail, forKey: .detail)
            switch location {
            case .pointer(let value): try container.encode(value, forKey: .pointer)
            case .parameter(let value): try container.encode(value, forKey: .parameter)
            case .header(let value): try container.encode(value, forKey: .header)
            }
        }
    }
}
