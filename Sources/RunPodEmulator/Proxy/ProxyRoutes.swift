import Foundation
import Hummingbird

/// `GET|POST /proxy/{podId}-{port}/...`: a pod's HTTP port, as RunPod's proxy (`https://{podId}-{port}.proxy.runpod.net`)
/// serves it. 404 for an unknown pod; 502 while nothing listens (not running yet, app still starting, app hung, or
/// the port not exposed as HTTP); once the app is up, a ComfyUI look-alike answers (`ComfyApp`).
func addProxyRoutes(to router: Router<EmulatorRequestContext>, core: EmulatorCore) {
    let handler: @Sendable (Request, EmulatorRequestContext) async throws -> Response = { request, context in
        let target = context.parameters.get("target") ?? ""
        let path = "/" + context.parameters.getCatchAll().joined(separator: "/")
        return try await core.withFaults(operation: "proxy", context: context) {
            let body = try await request.body.collect(upTo: ProxyReply.bodyLimit)
            let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
            return proxy(method: request.method, target: target, path: path, query: query, body: Data(buffer: body), world: core.world)
        }
    }
    for method in [HTTPRequest.Method.get, .post] {
        router.on("/proxy/{target}", method: method, use: handler)
        router.on("/proxy/{target}/**", method: method, use: handler)
    }
}

private func proxy(method: HTTPRequest.Method, target: String, path: String, query: [String: String], body: Data, world: World) -> Reply {
    guard let dash = target.lastIndex(of: "-"), let port = Int(target[target.index(after: dash)...]) else {
        return ProxyReply.notFound
    }
    guard let pod = world.pod(id: String(target[..<dash])) else { return ProxyReply.notFound }
    let exposed = pod.runtimePorts.contains { $0.privatePort == port && $0.type == "http" }
    guard pod.status == .running, pod.appReady, exposed else { return ProxyReply.badGateway }
    return ComfyApp(world: world, pod: pod).answer(method: method, path: path, query: query, body: body)
}

/// The proxy's own answers, before any app is reached.
enum ProxyReply {
    /// Largest request body passed on to an app (ComfyUI's default `--max-upload-size` is 100 MB; workflows are small).
    static let bodyLimit = 16 << 20

    /// An unknown pod or a malformed host.
    static var notFound: Reply { .raw(Data("404 page not found\n".utf8), status: .notFound, contentType: "text/plain; charset=utf-8") }

    /// Nothing listens on the port yet (or any more).
    static var badGateway: Reply { .raw(Data("Bad Gateway\n".utf8), status: .badGateway, contentType: "text/plain; charset=utf-8") }
}
