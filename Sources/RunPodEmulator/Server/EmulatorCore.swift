import Foundation
import Hummingbird
import Logging
import NIOCore

/// Everything the routes share: the world, the fault injector and the rate limiter.
///
/// Route groups register themselves on the router in `buildApplication`; the GraphQL surface adds itself through
/// `addGraphQLRoutes(to:core:)` and wraps each request in `withFaults(operation:alias:context:_:)`.
final class EmulatorCore: Sendable {
    let world: World
    let faults: FaultInjector
    let rateLimiter: RateLimiter
    /// Log streams to cut mid-way (tests of `Last-Event-ID` resume).
    let logDrops = LogStreamDrops()
    /// Every REST operation registered, for 405 answers and read-only keys.
    let operations = RESTOperations()
    let logger: Logger

    init(options: EmulatorOptions, logger: Logger) {
        world = World(scenario: options.scenario, apiKeys: options.apiKeys, clock: options.clock, timeScale: options.timeScale)
        faults = FaultInjector(rules: options.scenario.faults, seed: options.scenario.seed)
        rateLimiter = RateLimiter(perMinute: options.scenario.rateLimitPerMinute)
        self.logger = logger
    }

    /// Answers a REST v2 operation the way RunPod's edge does: count the call, inject faults, check the bearer token,
    /// count it against the key's quota, and put `RateLimit` / `RateLimit-Policy` on every authenticated answer.
    /// The handler gets the caller's key.
    func rest(
        _ operation: String, request: Request, context: EmulatorRequestContext,
        _ handler: @Sendable (String) async throws -> Reply
    ) async throws -> Response {
        try await withFaults(operation: operation, context: context) {
            guard let key = Self.bearerToken(request.headers[.authorization]) else {
                return .problem(.unauthorized, detail: "missing bearer token")
            }
            guard let spec = world.keySpec(key) else { return .problem(.unauthorized, detail: "invalid bearer token") }
            let verdict = rateLimiter.admit(key: key, now: world.clock.now)
            var reply: Reply
            if !verdict.allowed {
                reply = .problem(.tooManyRequests, detail: "rate limit exceeded for the minute window")
                reply.headers[.retryAfter] = String(verdict.resetSeconds)
            } else if spec.readOnly && operations.isMutating(operation) {
                reply = .problem(.forbidden, detail: "access denied")
            } else {
                reply = try await handler(key)
            }
            reply.headers[.rateLimit] = verdict.rateLimit
            reply.headers[.rateLimitPolicy] = verdict.policy
            return reply
        }
    }

    /// Counts the call and applies the fault rules for `operation` (or `alias`) around `handler`: latency first;
    /// a lost request, 5xx or 429 instead of handling; a dropped connection, malformed or truncated body after handling.
    /// The request counts as in flight until answered (`RunningEmulator.waitUntilIdle`).
    func withFaults(
        operation: String, alias: String? = nil, context: EmulatorRequestContext, _ handler: () async throws -> Reply
    ) async throws -> Response {
        world.recordCall(operation: alias ?? operation)
        let fired = faults.draw(operation: operation, alias: alias)
        return try await faults.tracking { try await answer(fired, operation: operation, context: context, handler) }
    }

    private func answer(
        _ fired: [FaultKind], operation: String, context: EmulatorRequestContext, _ handler: () async throws -> Reply
    ) async throws -> Response {
        for kind in fired {
            if case .latency(let milliseconds) = kind { try await Task.sleep(for: .milliseconds(milliseconds)) }
            if case .lostRequest(let milliseconds) = kind { try await Task.sleep(for: .milliseconds(milliseconds)) }
        }
        for kind in fired {
            switch kind {
            case .lostRequest:
                logger.debug("fault: dropping the connection without handling the request", metadata: ["operation": "\(operation)"])
                try? await context.channel.close()
                throw DroppedConnection()
            case .serverError(let status, let body):
                return Reply.raw(
                    Data((body ?? Self.cloudflareHTML(status: status)).utf8),
                    status: HTTPResponse.Status(code: status, reasonPhrase: ""), contentType: "text/html; charset=UTF-8"
                ).response
            case .rateLimited(let seconds):
                var reply = Reply.problem(.tooManyRequests, detail: "rate limit exceeded for the minute window")
                reply.headers[.retryAfter] = String(seconds)
                return reply.response
            default: continue
            }
        }
        var reply = try await handler()
        for kind in fired {
            switch kind {
            case .dropConnectionAfterApply:
                logger.debug("fault: dropping the connection after applying", metadata: ["operation": "\(operation)"])
                try? await context.channel.close()
                throw DroppedConnection()
            case .malformedJSON:
                reply.body = ByteBuffer(string: "{'detail': upstream error, \"status\": \(reply.status.code),,}")
            case .truncatedJSON:
                if let body = reply.body {
                    reply.body = body.getSlice(at: body.readerIndex, length: body.readableBytes / 2)
                }
            case .htmlAnswer, .alterField:
                reply.body = AnswerRewrite.apply(kind, to: reply.body)
            default: continue
            }
        }
        return reply.response
    }

    /// The key from `Authorization: Bearer KEY`, nil when absent or not a bearer token.
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The page Cloudflare serves in front of RunPod when the origin fails.
    static func cloudflareHTML(status: Int) -> String {
        let reasons = [
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
            520: "Web Server Returned an Unknown Error", 522: "Connection Timed Out", 524: "A Timeout Occurred",
        ]
        let reason = reasons[status] ?? "Error"
        return "<html>\r\n<head><title>\(status) \(reason)</title></head>\r\n<body>\r\n<center><h1>\(status) \(reason)</h1></center>\r\n"
            + "<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
    }
}

/// Thrown after a fault closed the connection on purpose, so nothing is answered.
struct DroppedConnection: Error {}

extension HTTPFields.Element.Name {
    /// A field name known to be a valid token; the fallback is never taken for the literals used here.
    static func token(_ name: String) -> Self { Self(name) ?? .via }

    static let rateLimit = token("RateLimit")
    static let rateLimitPolicy = token("RateLimit-Policy")
    static let lastEventID = token("Last-Event-ID")
}
