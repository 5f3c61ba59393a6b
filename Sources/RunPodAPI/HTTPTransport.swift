import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request, as a value. The API key travels only in `headers` (`Authorization`), never in `url`.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, `DELETE`, …
    public var method: String
    public var url: URL
    /// Header fields in order; names are case-insensitive.
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// How long the whole exchange (connect, send, answer) may take.
    public var timeout: Duration

    /// Creates a request.
    public init(method: String, url: URL, headers: [(name: String, value: String)] = [], body: Data? = nil, timeout: Duration = .seconds(30)) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// One HTTP answer, fully read.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header fields in order; names are case-insensitive.
    public var headers: [(name: String, value: String)]
    public var body: Data

    /// Creates a response.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Why an HTTP exchange produced no answer, and whether the request may have reached the server.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong on the way.
    public enum Kind: Sendable, Hashable {
        /// Could not connect (refused, DNS, TLS handshake): nothing was sent.
        case connect
        /// No complete answer within the request timeout.
        case timeout
        /// The connection dropped after it was established.
        case connectionLost
    }

    public var kind: Kind
    /// False only when the transport knows the request never left this machine. When true, the server may have
    /// acted on it (a create may have created a pod).
    public var requestMayHaveBeenSent: Bool
    /// What the transport reported, for a person. Never contains headers (so never the key).
    public var message: String

    /// Creates a transport error.
    public init(kind: Kind, requestMayHaveBeenSent: Bool, message: String) {
        self.kind = kind
        self.requestMayHaveBeenSent = requestMayHaveBeenSent
        self.message = message
    }

    public var description: String { message }
}

/// The seam between the RunPod client and the network: tests give the client a fake that answers from a script.
///
/// Implementations throw `TransportError` for failures below HTTP (an HTTP error status is a normal response),
/// and `CancellationError` when the calling task is cancelled.
public protocol HTTPTransport: Sendable {
    /// Sends one request and reads the whole answer.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse

    /// Sends one request and returns the status and headers at once, with the body as a stream of chunks
    /// (for Server-Sent Events). The default reads the whole body with `send` and yields it as one chunk.
    func stream(_ request: HTTPRequest) async throws -> (head: HTTPResponse, body: AsyncThrowingStream<Data, any Error>)
}

extension HTTPTransport {
    /// Default streaming: one chunk holding the whole body.
    public func stream(_ request: HTTPRequest) async throws -> (head: HTTPResponse, body: AsyncThrowingStream<Data, any Error>) {
        let response = try await send(request)
        let body = response.body
        let stream = AsyncThrowingStream<Data, any Error> { continuation in
            continuation.yield(body)
            continuation.finish()
        }
        return (HTTPResponse(status: response.status, headers: response.headers), stream)
    }
}

/// `HTTPTransport` over AsyncHTTPClient (the process-wide `HTTPClient.shared` unless given another client).
public struct AsyncHTTPClientTransport: HTTPTransport {
    private let client: HTTPClient
    /// Largest body read into memory; RunPod's answers are far smaller.
    private let maxBodyBytes: Int

    /// Creates a transport over `client` (default: `HTTPClient.shared`, which needs no shutdown).
    public init(client: HTTPClient = .shared, maxBodyBytes: Int = 16 * 1024 * 1024) {
        self.client = client
        self.maxBodyBytes = maxBodyBytes
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Task.checkCancellation()
        let deadline = NIODeadline.now() + TimeAmount(request.timeout)
        do {
            let response = try await client.execute(makeRequest(request), deadline: deadline)
            let body = try await response.body.collect(upTo: maxBodyBytes)
            return HTTPResponse(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Data(body.readableBytesView))
        } catch {
            throw Self.classify(error, timeout: request.timeout)
        }
    }

    public func stream(_ request: HTTPRequest) async throws -> (head: HTTPResponse, body: AsyncThrowingStream<Data, any Error>) {
        try Task.checkCancellation()
        // A log stream lives as long as the caller reads it: the deadline covers only the answer's head.
        let response: HTTPClientResponse
        do {
            response = try await client.execute(makeRequest(request), deadline: .distantFuture)
        } catch {
            throw Self.classify(error, timeout: request.timeout)
        }
        let head = HTTPResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) })
        let body = response.body
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        let reader = Task {
            do {
                for try await chunk in body { continuation.yield(Data(chunk.readableBytesView)) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: Self.classify(error, timeout: request.timeout))
            }
        }
        continuation.onTermination = { _ in reader.cancel() }
        return (head, stream)
    }

    private func makeRequest(_ request: HTTPRequest) -> HTTPClientRequest {
        var out = HTTPClientRequest(url: request.url.absoluteString)
        out.method = HTTPMethod(rawValue: request.method)
        for header in request.headers { out.headers.add(name: header.name, value: header.value) }
        if let body = request.body { out.body = .bytes(ByteBuffer(bytes: body)) }
        return out
    }

    /// Maps AsyncHTTPClient and NIO errors to `TransportError`, deciding conservatively whether the request may have
    /// been sent: only failures that happen before a connection exists count as "not sent".
    static func classify(_ error: any Error, timeout: Duration) -> any Error {
        if error is CancellationError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .cancelled:
                return CancellationError()
            case .connectTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout,
                .getConnectionFromPoolTimeout:
                return TransportError(kind: .connect, requestMayHaveBeenSent: false, message: "could not connect (\(error))")
            case .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown:
                return TransportError(kind: .connect, requestMayHaveBeenSent: false, message: "could not send the request (\(error))")
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return TransportError(kind: .timeout, requestMayHaveBeenSent: true, message: "no answer within \(timeout)")
            case .remoteConnectionClosed:
                return TransportError(
                    kind: .connectionLost, requestMayHaveBeenSent: true, message: "the server closed the connection before answering")
            default:
                return TransportError(kind: .connectionLost, requestMayHaveBeenSent: true, message: "the connection failed (\(error))")
            }
        }
        // NIOPosix's NIOConnectionError (every connect attempt failed) is not a dependency of this target: match its name.
        if String(describing: type(of: error)) == "NIOConnectionError" {
            return TransportError(kind: .connect, requestMayHaveBeenSent: false, message: "could not connect (\(error))")
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return TransportError(kind: .connect, requestMayHaveBeenSent: false, message: "could not connect (connect timeout)")
        }
        if let error = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) {
            return TransportError(kind: .connect, requestMayHaveBeenSent: false, message: "could not connect (\(error))")
        }
        return TransportError(kind: .connectionLost, requestMayHaveBeenSent: true, message: "the connection failed (\(error))")
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
