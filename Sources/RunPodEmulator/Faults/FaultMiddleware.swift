import Hummingbird
import NIOCore

/// Applies fault rules to every request of a route group as one operation (GraphQL's `graphql`).
struct FaultMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext
    let core: EmulatorCore
    let operation: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await core.withFaults(operation: operation, context: context) {
            try await Reply(collecting: next(request, context))
        }
    }
}

extension Reply {
    /// A reply holding a response's whole body, so faults can rewrite it.
    init(collecting response: Response) async throws {
        let box = BufferBox()
        try await response.body.write(CollectingWriter(box: box))
        self.init(status: response.status, headers: response.headers, body: box.buffer)
    }
}

/// Gathers a response body into one buffer.
private struct CollectingWriter: ResponseBodyWriter {
    let box: BufferBox

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        box.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Holds the collected bytes; used by one task at a time (the body writer runs inside the awaiting call).
private final class BufferBox: @unchecked Sendable {
    var buffer = ByteBuffer()
}
