import Hummingbird
import NIOCore

/// The request context of every emulator route: Hummingbird's core context plus the channel, which fault injection
/// closes to drop a connection without answering.
public struct EmulatorRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came in on.
    public let channel: any Channel

    /// Creates the context for a request on a connection.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
