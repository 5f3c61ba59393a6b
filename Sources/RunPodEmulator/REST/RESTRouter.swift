import Foundation
import Hummingbird
import NIOCore

/// One REST v2 request as a route handler sees it: the caller's key, the body (already read by the gate, at most
/// 102,400 bytes), percent-decoded path parameters and the query.
struct RESTCall: Sendable {
    let request: Request
    let context: EmulatorRequestContext
    /// The caller's key (authenticated).
    let key: String
    let body: ByteBuffer

    /// A path parameter, percent-decoded: GPU type IDs contain spaces, so clients send `NVIDIA%20GeForce%20RTX%204090`.
    func parameter(_ name: String = "id") -> String {
        let raw = context.parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// The query parameters.
    var query: Parameters { request.uri.queryParameters }

    /// The body as JSON, or RunPod's 400 for bytes that are not JSON.
    func json() -> Result<JSONValue, Reply> {
        guard let value = JSONValue.parse(Data(buffer: body)) else {
            return .failure(.problem(.badRequest, detail: "request body is not valid JSON"))
        }
        return .success(value)
    }

    /// The body checked against a documented shape: 400 when it is not JSON, 422 listing every violation.
    func object(_ shape: BodyShape) -> Result<[String: JSONValue], Reply> {
        switch json() {
        case .failure(let reply): return .failure(reply)
        case .success(let value):
            let errors = shape.violations(of: value)
            guard errors.isEmpty, let object = value.objectValue else { return .failure(.validationFailed(errors)) }
            return .success(object)
        }
    }
}

/// Registers REST v2 operations: each goes through `EmulatorCore.rest` (faults, quota, read-only keys) and is
/// recorded in `EmulatorCore.operations` for 405 answers.
struct RESTRouter {
    let router: Router<EmulatorRequestContext>
    let core: EmulatorCore

    /// Serves `method path` as RunPod's `operation`.
    func on(
        _ method: HTTPRequest.Method, _ path: String, _ operation: String, _ handler: @escaping @Sendable (RESTCall) async throws -> Reply
    ) {
        let core = core
        core.operations.add(method, path, operation)
        router.on(RouterPath(path), method: method) { request, context in
            var collected = request
            let body = try await collected.collectBody(upTo: RESTGate.bodyLimit)
            let request = collected
            return try await core.rest(operation, request: request, context: context) { key in
                try await handler(RESTCall(request: request, context: context, key: key, body: body))
            }
        }
    }
}

extension Reply {
    /// RunPod's 422 for a body or query that breaks the contract, with every violation in `errors`.
    static func validationFailed(_ errors: [String]) -> Reply {
        .problem(.unprocessableContent, detail: "Request validation failed.", errors: errors)
    }

    /// 404 naming what was not found.
    static func notFound(_ what: String) -> Reply { .problem(.notFound, detail: "\(what) not found") }
}
