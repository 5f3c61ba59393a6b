import Foundation

/// A dropped log stream about to be resumed: what `podLogs(…, onResume:)` reports before each reconnect.
public struct LogStreamResume: Sendable, Hashable {
    /// The reconnect about to be made, counted since the last event that arrived (1 = the first).
    public var attempt: Int
    /// Reconnects allowed in a row before the stream gives up (the client's `retryPolicy.maxAttempts - 1`).
    public var maxAttempts: Int
    /// The wait before it.
    public var delay: Duration
    /// The `Last-Event-ID` it will send (nil when no event arrived yet: the backfill is asked for again).
    public var cursor: String?
    /// What went wrong, for a person.
    public var reason: String

    /// Creates a notice.
    public init(attempt: Int, maxAttempts: Int, delay: Duration, cursor: String?, reason: String) {
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.delay = delay
        self.cursor = cursor
        self.reason = reason
    }
}

extension RunPodClient {
    /// `getPodLogs`: `GET /v2/pods/{id}/logs`, as a stream of log lines (Server-Sent Events).
    ///
    /// The stream ends when RunPod ends it (the pod stopped) or the consumer stops iterating. When the connection
    /// drops mid-stream, or RunPod answers 429 or 5xx, it reconnects with `Last-Event-ID` after a backoff
    /// (`retryPolicy`, or RunPod's `Retry-After` when longer), so no line is lost or repeated: at most
    /// `retryPolicy.maxAttempts - 1` reconnects in a row (the count restarts whenever an event arrives). Other HTTP
    /// errors end the stream with a `RunPodAPIError`.
    /// - Parameters:
    ///   - source: `container` or `system`; nil streams both.
    ///   - tail: lines of history to send first (RunPod's default is 100).
    ///   - lastEventID: resume after this event ID (an earlier stream's cursor).
    ///   - onResume: called before each reconnect (to tell the user); never with the key.
    public func podLogs(
        id: String, source: String? = nil, tail: Int? = nil, lastEventID: String? = nil,
        onResume: (@Sendable (LogStreamResume) -> Void)? = nil
    ) -> AsyncThrowingStream<RunPod.LogLine, any Error> {
        let (stream, continuation) = AsyncThrowingStream<RunPod.LogLine, any Error>.makeStream()
        let task = Task {
            do {
                try await streamLogs(id: id, source: source, tail: tail, lastEventID: lastEventID, onResume: onResume) {
                    continuation.yield($0)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func streamLogs(
        id: String, source: String?, tail: Int?, lastEventID: String?, onResume: (@Sendable (LogStreamResume) -> Void)?,
        yield: (RunPod.LogLine) -> Void
    ) async throws {
        var cursor = lastEventID
        var failures = 0
        while true {
            var query: [URLQueryItem] = []
            if let source { query.append(URLQueryItem(name: "source", value: source)) }
            if let tail { query.append(URLQueryItem(name: "tail", value: String(tail))) }
            var endpoint = Endpoint(operation: "getPodLogs", method: "GET", path: ["pods", id, "logs"], query: query, idempotent: true)
            endpoint.headers = [("Accept", "text/event-stream")]
            if let cursor { endpoint.headers.append(("Last-Event-ID", cursor)) }
            let request = try request(for: endpoint)
            try Task.checkCancellation()
            let reason: String
            var retryAfter: Duration?
            var finalError: RunPodAPIError
            do {
                let (head, body) = try await transport.stream(request)
                exchangeObserver?(ExchangeNotice(operation: endpoint.operation, status: head.status))
                rateLimitBox.update(RateLimitStatus(rateLimit: head.header("RateLimit"), policy: head.header("RateLimit-Policy")))
                guard (200..<300).contains(head.status) else {
                    var full = head
                    for try await chunk in body { full.body.append(chunk) }
                    let error = RunPodAPIError.fromHTTP(full, operation: "getPodLogs")
                    // Transient answers are retried like a dropped connection; 401, 404, 422… are the caller's to see.
                    guard head.status == 429 || head.status >= 500 else { throw error }
                    throw ReconnectableHTTPError(error: error)
                }
                var parser = ServerSentEventParser()
                for try await chunk in body {
                    for event in parser.feed(chunk) {
                        if let id = event.id { cursor = id }
                        guard let data = event.data else { continue }
                        do {
                            yield(try JSONDecoder().decode(RunPod.LogLine.self, from: Data(data.utf8)))
                        } catch let error as DecodingError {
                            throw RunPodAPIError(
                                operation: "getPodLogs", kind: .malformedResponse,
                                message: "a log event does not match the API contract: \(ResponseDecoding.explain(error, body: Data(data.utf8)))")
                        }
                        failures = 0
                    }
                }
                return
            } catch let error as TransportError {
                reason = error.message
                finalError = RunPodAPIError(operation: "getPodLogs", kind: error.kind == .timeout ? .timeout : .transport, message: error.message)
            } catch let error as ReconnectableHTTPError {
                reason = error.error.message
                retryAfter = error.error.retryAfter
                finalError = error.error
            }
            failures += 1
            guard failures < retryPolicy.maxAttempts else {
                finalError.message = "the log stream dropped \(failures) times in a row; last: \(finalError.message)"
                throw finalError
            }
            var delay = retryPolicy.backoff(beforeRetry: failures)
            if let retryAfter, retryAfter > delay { delay = retryAfter }
            logger.debug("log stream dropped; resuming", metadata: ["operation": "getPodLogs", "cursor": "\(cursor ?? "-")"])
            onResume?(LogStreamResume(attempt: failures, maxAttempts: retryPolicy.maxAttempts - 1, delay: delay, cursor: cursor, reason: reason))
            try await clock.pause(for: delay)
        }
    }
}

/// A 429 or 5xx answered to a log-stream reconnect: retried like a dropped connection.
private struct ReconnectableHTTPError: Error {
    var error: RunPodAPIError
}

/// An incremental parser for `text/event-stream` (WHATWG HTML §9.2): feed it bytes, get whole events.
struct ServerSentEventParser {
    struct Event: Equatable {
        var id: String?
        var data: String?
    }

    private var buffer = ""
    private var id: String?
    private var dataLines: [String] = []

    /// Adds bytes; returns the events completed by them.
    mutating func feed(_ bytes: Data) -> [Event] {
        buffer += String(decoding: bytes, as: UTF8.self)
        var events: [Event] = []
        while let newline = buffer.firstIndex(where: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = String(buffer[..<newline])
            buffer.removeSubrange(...newline)
            if line.isEmpty {
                if id != nil || !dataLines.isEmpty {
                    events.append(Event(id: id, data: dataLines.isEmpty ? nil : dataLines.joined(separator: "\n")))
                }
                id = nil
                dataLines = []
                continue
            }
            if line.hasPrefix(":") { continue }
            let field: Substring
            var value: Substring
            if let colon = line.firstIndex(of: ":") {
                field = line[..<colon]
                value = line[line.index(after: colon)...]
                if value.hasPrefix(" ") { value = value.dropFirst() }
            } else {
                field = Substring(line)
                value = ""
            }
            switch field {
            case "id": id = String(value)
            case "data": dataLines.append(String(value))
            default: break
            }
        }
        return events
    }
}
