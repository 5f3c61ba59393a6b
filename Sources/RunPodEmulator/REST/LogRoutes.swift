import Foundation
import Hummingbird
import NIOCore

/// `GET /v2/pods/{id}/logs`: the pod's log as Server-Sent Events.
///
/// Each event is `id: <ts>/<sequence>` plus `data: {"ts","source","line"}`, as RunPod's document shows. Backfill is
/// the last `tail` lines (default 100), or everything after `since`, or after the `Last-Event-ID` cursor (which wins).
/// Then the stream follows the pod: new lines arrive as the pod advances, and the stream ends once the pod is
/// terminated, EXITED or ERROR (after the lines written up to then). A running pod's stream stays open until the
/// client goes away, or until a cut asked for with `RunningEmulator.dropLogStreams` closes the connection.
func addLogRoutes(to rest: RESTRouter) {
    let core = rest.core
    let world = core.world
    rest.on(.get, "/v2/pods/{id}/logs", "getPodLogs") { call in
        let (request, context, id) = (call.request, call.context, call.parameter())
        switch LogQuery.parse(request) {
        case .failure(let reply): return reply
        case .success(let query):
            guard let pod = world.pod(id: id) else { return .notFound("pod") }
            var reply = Reply(status: .ok)
            reply.headers[.contentType] = "text/event-stream"
            reply.headers[.cacheControl] = "no-cache"
            reply.headers[.xAccelBuffering] = "no"
            let pollInterval = Duration.milliseconds(Int(min(500, max(5, world.timeScale * 1000))))
            let backfill = query.backfill(pod.logs)
            let cutAfter = core.logDrops.take()
            let channel = context.channel
            reply.stream = ResponseBody { writer in
                var lastSequence = pod.logs.last?.sequence ?? 0
                var pending = backfill
                var budget = cutAfter
                var ended = [.exited, .error].contains(pod.status)
                var idlePolls = 0
                while true {
                    // A cut sends exactly `budget` more events, then closes the connection without ending the body.
                    let count = budget.map { min($0, pending.count) } ?? pending.count
                    if count > 0 { try await writer.write(ByteBuffer(string: pending.prefix(count).map(sseEvent).joined())) }
                    if let left = budget {
                        budget = left - count
                        if budget == 0 {
                            try? await channel.close()
                            throw DroppedLogStream()
                        }
                    }
                    if ended { break }
                    try await Task.sleep(for: pollInterval)
                    // A client that hung up leaves the connection half-closed, and only a write finds out: so an
                    // idle stream sends a blank line (an empty SSE event, which clients ignore) every 10 polls.
                    // The failing write ends the stream, which would otherwise hold up a graceful shutdown.
                    idlePolls = count > 0 ? 1 : idlePolls + 1
                    if idlePolls % 10 == 0 { try await writer.write(ByteBuffer(string: "\n")) }
                    // Terminated pods are read too, so the lines written up to the end (the error, the terminate)
                    // still go out before the stream closes.
                    guard let current = world.podIncludingTerminated(id: id) else { break }
                    let fresh = current.logs.filter { $0.sequence > lastSequence }
                    lastSequence = current.logs.last?.sequence ?? lastSequence
                    pending = fresh.filter { query.source == nil || $0.source == query.source }
                    ended = [.exited, .error, .terminated].contains(current.status)
                }
                try await writer.finish(nil)
            }
            return reply
        }
    }
}

/// One log line as an SSE event.
func sseEvent(_ line: LogLine) -> String {
    struct Payload: Encodable {
        var ts: String
        var source: String
        var line: String
    }
    let ts = JSONCoding.timestamp(line.ts)
    let data = (try? JSONCoding.encoder.encode(Payload(ts: ts, source: line.source, line: line.line))) ?? Data("{}".utf8)
    let sequence = String(line.sequence)
    let padded = String(repeating: "0", count: max(0, 12 - sequence.count)) + sequence
    return "id: \(ts)/\(padded)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
}

/// The query of a log request, validated (bad `source`, `tail` or `since` is 422).
struct LogQuery {
    var source: String?
    var tail = 100
    var since: Date?
    var cursor: (ts: Date?, sequence: Int?)?

    static func parse(_ request: Request) -> Result<LogQuery, Reply> {
        let parameters = request.uri.queryParameters
        var query = LogQuery()
        var errors: [String] = []
        if let source = parameters.get("source") {
            if ["container", "system"].contains(source) {
                query.source = source
            } else {
                errors.append("query.source: value must be one of 'container', 'system'")
            }
        }
        if let text = parameters.get("tail") {
            if let tail = Int(text), (0...5000).contains(tail) {
                query.tail = tail
            } else {
                errors.append("query.tail: must be an integer between 0 and 5000")
            }
        }
        if let text = parameters.get("since") {
            if let date = parseTimestamp(text) { query.since = date } else { errors.append("query.since: must be an RFC 3339 date-time") }
        }
        if let header = request.headers[.lastEventID] {
            let parts = header.split(separator: "/", maxSplits: 1)
            query.cursor = (parts.first.flatMap { parseTimestamp(String($0)) }, parts.count > 1 ? Int(parts[1]) : nil)
        }
        guard errors.isEmpty else { return .failure(.problem(.unprocessableContent, detail: "Request validation failed.", errors: errors)) }
        return .success(query)
    }

    /// The lines to send before following: after the cursor, or since a time, or the last `tail`.
    func backfill(_ logs: [LogLine]) -> [LogLine] {
        let matching = logs.filter { source == nil || $0.source == source }
        if let cursor {
            if let sequence = cursor.sequence { return matching.filter { $0.sequence > sequence } }
            if let ts = cursor.ts { return matching.filter { $0.ts > ts } }
        }
        if let since { return matching.filter { $0.ts >= since } }
        return Array(matching.suffix(tail))
    }

    static func parseTimestamp(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
    }
}

extension HTTPFields.Element.Name {
    static let xAccelBuffering = token("X-Accel-Buffering")
}
