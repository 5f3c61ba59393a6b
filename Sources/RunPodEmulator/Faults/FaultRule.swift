import Foundation

/// What an injected fault does to a request.
public enum FaultKind: Sendable, Hashable {
    /// Answer with this 5xx status and an HTML body (as Cloudflare in front of RunPod does).
    case serverError(status: Int = 502, htmlBody: String? = nil)
    /// Answer 429 with `Retry-After`.
    case rateLimited(retryAfterSeconds: Int = 1)
    /// Wait this long, then handle the request normally.
    case latency(milliseconds: Int)
    /// Handle the request (a create really creates), then close the connection without answering.
    case dropConnectionAfterApply
    /// Hold the request this long, then close the connection without handling it: a request lost on the way, so
    /// nothing was applied, though the client cannot tell that from a create that went through.
    case lostRequest(milliseconds: Int)
    /// Handle the request, then answer its status with a body that is not JSON.
    case malformedJSON
    /// Handle the request, then answer its status with the JSON body cut in half.
    case truncatedJSON
    /// Handle the request, then answer its status with an HTML page instead of JSON (a portal or CDN page served as 200).
    case htmlAnswer
    /// Handle the request, then set `field` of the JSON answer to `value` (raw JSON text, e.g. `null`, `42`, `"x"`;
    /// nil removes it): in the top-level object, in each object of a top-level list, and in each object of a list
    /// the top-level object holds (`{"gpus": [...]}`). For missing, null and wrongly typed fields.
    case alterField(field: String, value: String?)

    /// The name used in scenario files and `POST /_emulator/faults`.
    public var name: String {
        switch self {
        case .serverError: "serverError"
        case .rateLimited: "rateLimited"
        case .latency: "latency"
        case .dropConnectionAfterApply: "dropConnectionAfterApply"
        case .lostRequest: "lostRequest"
        case .malformedJSON: "malformedJSON"
        case .truncatedJSON: "truncatedJSON"
        case .htmlAnswer: "htmlAnswer"
        case .alterField: "alterField"
        }
    }
}

/// A fault to inject: which requests it hits, what it does, and how often.
///
/// JSON form (scenario `faults`, `POST /_emulator/faults`):
/// `{"operation": "createPod", "kind": "serverError", "status": 503, "times": 2}`;
/// `kind` is one of `serverError` (`status`, `htmlBody`), `rateLimited` (`retryAfterSeconds`), `latency` (`milliseconds`),
/// `dropConnectionAfterApply`, `lostRequest` (`milliseconds`), `malformedJSON`, `truncatedJSON`, `htmlAnswer`,
/// `alterField` (`field`, `value`: raw JSON text, absent = remove the field). Without `times` and `probability` a rule hits every match.
public struct FaultRule: Codable, Sendable, Hashable {
    /// RunPod operationId (`createPod`, `getPod`, `listPods`, `deletePod`, `podAction`, `getPodLogs`, `listGpuTypes`,
    /// `listDataCenters`, `listNetworkVolumes`, `getNetworkVolume`; GraphQL: `graphql` or the root field name); nil = any.
    public var operation: String?
    /// What happens.
    public var kind: FaultKind
    /// Hit only the next N matching requests.
    public var times: Int?
    /// Hit each matching request with this probability (seeded, so runs repeat).
    public var probability: Double?

    /// Creates a rule.
    public init(operation: String? = nil, kind: FaultKind, times: Int? = nil, probability: Double? = nil) {
        self.operation = operation
        self.kind = kind
        self.times = times
        self.probability = probability
    }

    enum CodingKeys: String, CodingKey {
        case operation, kind, times, probability, status, htmlBody, retryAfterSeconds, milliseconds, field, value
    }

    /// Decodes the flat JSON form.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        operation = try c.decodeIfPresent(String.self, forKey: .operation)
        times = try c.decodeIfPresent(Int.self, forKey: .times)
        probability = try c.decodeIfPresent(Double.self, forKey: .probability)
        let name = try c.decode(String.self, forKey: .kind)
        switch name {
        case "serverError":
            kind = .serverError(
                status: try c.decodeIfPresent(Int.self, forKey: .status) ?? 502,
                htmlBody: try c.decodeIfPresent(String.self, forKey: .htmlBody))
        case "rateLimited":
            kind = .rateLimited(retryAfterSeconds: try c.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? 1)
        case "latency":
            kind = .latency(milliseconds: try c.decodeIfPresent(Int.self, forKey: .milliseconds) ?? 100)
        case "dropConnectionAfterApply": kind = .dropConnectionAfterApply
        case "lostRequest": kind = .lostRequest(milliseconds: try c.decodeIfPresent(Int.self, forKey: .milliseconds) ?? 100)
        case "malformedJSON": kind = .malformedJSON
        case "truncatedJSON": kind = .truncatedJSON
        case "htmlAnswer": kind = .htmlAnswer
        case "alterField":
            kind = .alterField(field: try c.decode(String.self, forKey: .field), value: try c.decodeIfPresent(String.self, forKey: .value))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown fault kind \(name)")
        }
    }

    /// Encodes the flat JSON form.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(operation, forKey: .operation)
        try c.encode(kind.name, forKey: .kind)
        try c.encodeIfPresent(times, forKey: .times)
        try c.encodeIfPresent(probability, forKey: .probability)
        switch kind {
        case .serverError(let status, let htmlBody):
            try c.encode(status, forKey: .status)
            try c.encodeIfPresent(htmlBody, forKey: .htmlBody)
        case .rateLimited(let seconds): try c.encode(seconds, forKey: .retryAfterSeconds)
        case .latency(let ms), .lostRequest(let ms): try c.encode(ms, forKey: .milliseconds)
        case .alterField(let field, let value):
            try c.encode(field, forKey: .field)
            try c.encodeIfPresent(value, forKey: .value)
        default: break
        }
    }
}
