import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /v1/events`: Server-Sent Events, one per state change of any launch, `id:` the event's strictly increasing
/// ID. `Last-Event-ID` resumes after that ID with nothing lost or repeated (the events are read from the database);
/// without it the stream starts with the next change. An ID older than what is kept answers 410: re-list and start
/// again. A `: keepalive` comment goes out every 15 s.
enum EventStream {
    static let keepalive: Duration = .seconds(15)

    static func response(_ request: Request, service: ServiceContext) async throws -> Response {
        for (name, _) in request.uri.queryParameters {
            throw Problem.validation([.parameter(String(name), "is not a parameter of this operation")])
        }
        let range = try await service.store.eventRange()
        var after = range.newest
        if let name = HTTPField.Name("Last-Event-ID"), let text = request.headers[name] {
            guard let id = Int64(text.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                throw Problem.validation([.header("Last-Event-ID", "must be an event ID this stream sent (a non-negative integer)")])
            }
            if id > range.newest {
                throw Problem.eventGone(
                    "Event \(id) was never sent by this service's database (the newest is \(range.newest)): list the launches and reconnect without Last-Event-ID."
                )
            }
            if id > 0, range.oldest > 0, id + 1 < range.oldest {
                throw Problem.eventGone(
                    "Events after \(id) are no longer kept (the oldest kept is \(range.oldest)): list the launches and reconnect without Last-Event-ID."
                )
            }
            after = id
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let start = after
        let store = service.store
        let changes = store.changes.subscribe()
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                var last = start
                try await writer.write(ByteBuffer(string: ": connected\n\n"))
                // Backlog first, then each wake-up reads what was committed since the last event sent.
                last = try await send(after: last, store: store, writer: &writer)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let (ticks, tick) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(1))
                    group.addTask {
                        for await _ in changes { tick.yield(true) }
                        tick.finish()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: keepalive)
                            tick.yield(false)
                        }
                    }
                    for await changed in ticks {
                        if changed {
                            last = try await send(after: last, store: store, writer: &writer)
                        } else {
                            try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                        }
                    }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
    }

    /// Sends every event after `after`; returns the last ID sent.
    private static func send(after: Int64, store: LaunchStore, writer: inout some ResponseBodyWriter) async throws -> Int64 {
        var last = after
        while true {
            let events = try await store.events(after: last, limit: 500)
            guard !events.isEmpty else { return last }
            var text = ""
            for event in events {
                text += "id: \(event.id)\nevent: launch\ndata: \(event.body)\n\n"
                last = event.id
            }
            try await writer.write(ByteBuffer(string: text))
        }
    }
}
