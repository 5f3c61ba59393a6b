import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A canned HTTP answer.
struct CannedAnswer: Sendable {
    var status: Int = 200
    var body: String
}

/// What the fixture server saw of one request.
struct SeenRequest: Sendable {
    var path: String
    var query: String?
    var authorization: String?
}

/// A Hummingbird server on port 0 that answers fixed bodies: by path, and for `…/api/v1/query` by the `query`
/// parameter (key `query:<PromQL>`). Anything else is a 404. Shut down gracefully when `body` returns.
func withCannedServer<T: Sendable>(
    _ answers: [String: CannedAnswer], _ body: (_ baseURL: String, _ seen: @Sendable () -> [SeenRequest]) async throws -> T
) async throws -> T {
    let log = Mutex<[SeenRequest]>([])
    let router = Router()
    router.get("**") { request, _ -> Response in
        let query = request.uri.queryParameters.get("query")
        log.withLock {
            $0.append(SeenRequest(path: request.uri.path, query: query, authorization: request.headers[.authorization]))
        }
        let key = request.uri.path.hasSuffix("/api/v1/query") ? "query:\(query ?? "")" : request.uri.path
        guard let answer = answers[key] else { return Response(status: .notFound) }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
    }
    let logger = Logger(label: "canned", factory: { _ in SwiftLogNoOpLogHandler() })
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        }, logger: logger)
    let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw DemandTestError("the canned server never listened") }
        do {
            let value = try await body("http://127.0.0.1:\(port)", { log.withLock { $0 } })
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// A TCP server that accepts connections and never answers (for timeouts), closed when `body` returns.
func withSilentServer<T: Sendable>(_ body: (_ port: Int) async throws -> T) async throws -> T {
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
        .bind(host: "127.0.0.1", port: 0).get()
    do {
        let value = try await body(server.localAddress?.port ?? 0)
        try await server.close().get()
        return value
    } catch {
        try? await server.close().get()
        throw error
    }
}

/// A port nothing listens on: bound, read, closed.
func closedPort() async throws -> Int {
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
    let port = server.localAddress?.port ?? 0
    try await server.close().get()
    return port
}

struct DemandTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
