import Foundation
import Hummingbird

/// RunPod's edge in front of REST v2, before any route: a body above 102,400 bytes gets 413, then a missing or
/// unknown key gets 401 on every `/v2` path, known or not; what no route answers gets a problem+json 404 (or 405 with
/// `Allow` for a documented path asked with another method). REST v1, retired on 2026-11-15, answers 410 Gone.
struct RESTGate: RouterMiddleware {
    typealias Context = EmulatorRequestContext

    /// RunPod's request size limit, in bytes (RUNPOD_API.md: "a request body … above 102,400 bytes gets 413").
    static let bodyLimit = 102_400

    let core: EmulatorCore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/v1" || path.hasPrefix("/v1/") {
            return Reply.problem(.gone, detail: "REST v1 was retired on 2026-11-15; use REST v2 at /v2").response
        }
        guard path == "/v2" || path.hasPrefix("/v2/") else { return try await next(request, context) }
        var request = request
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > Self.bodyLimit {
            return Self.tooLarge.response
        }
        do {
            _ = try await request.collectBody(upTo: Self.bodyLimit)
        } catch {
            return Self.tooLarge.response
        }
        guard let key = EmulatorCore.bearerToken(request.headers[.authorization]) else {
            return Reply.problem(.unauthorized, detail: "missing bearer token").response
        }
        guard core.world.keySpec(key) != nil else { return Reply.problem(.unauthorized, detail: "invalid bearer token").response }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return unrouted(request, key: key).response
        }
    }

    static var tooLarge: Reply {
        .problem(.contentTooLarge, detail: "request body exceeds the limit of \(bodyLimit) bytes")
    }

    /// 405 when the path is documented for other methods, 404 otherwise; both count against the key's quota.
    private func unrouted(_ request: Request, key: String) -> Reply {
        let verdict = core.rateLimiter.admit(key: key, now: core.world.clock.now)
        let methods = core.operations.methods(forPath: request.uri.path)
        var reply: Reply
        if methods.isEmpty {
            reply = .problem(.notFound, detail: "no route for \(request.method.rawValue) \(request.uri.path)")
        } else {
            reply = .problem(.methodNotAllowed, detail: "The requested method is not allowed for this path.")
            reply.headers[.allow] = methods.map(\.rawValue).joined(separator: ", ")
        }
        reply.headers[.rateLimit] = verdict.rateLimit
        reply.headers[.rateLimitPolicy] = verdict.policy
        return reply
    }
}
