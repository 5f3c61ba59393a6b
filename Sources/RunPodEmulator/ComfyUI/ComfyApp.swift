import Foundation
import Hummingbird

/// The ComfyUI look-alike behind a ready pod's HTTP port: the page, `/system_stats`, and the prompt queue
/// (`POST /prompt`, `GET|POST /queue`, `POST /interrupt`, `GET|POST /history`, `GET /history/{prompt_id}`), each also
/// under `/api`, as ComfyUI serves them (comfyanonymous/ComfyUI `server.py`).
struct ComfyApp {
    /// The routes the app serves, each with the methods it accepts.
    enum Route: Equatable {
        case index
        case systemStats
        case prompt
        case queue
        case interrupt
        case history
        case historyItem(promptID: String)

        /// The route for a path; nil when none serves it. ComfyUI serves every API route under `/api` too.
        init?(path: String) {
            if path == "/" || path.isEmpty {
                self = .index
                return
            }
            let api = path.hasPrefix("/api/") ? String(path.dropFirst(4)) : path
            switch api {
            case "/system_stats": self = .systemStats
            case "/prompt": self = .prompt
            case "/queue": self = .queue
            case "/interrupt": self = .interrupt
            case "/history": self = .history
            default:
                let id = api.dropFirst("/history/".count)
                guard api.hasPrefix("/history/"), !id.isEmpty, !id.contains("/") else { return nil }
                self = .historyItem(promptID: String(id))
            }
        }

        var methods: [HTTPRequest.Method] {
            switch self {
            case .index, .systemStats, .historyItem: [.get]
            case .prompt, .queue, .history: [.get, .post]
            case .interrupt: [.post]
            }
        }
    }

    let world: World
    let pod: PodRecord

    /// ComfyUI's answer to one request. 502 when the app stopped answering since the proxy looked.
    func answer(method: HTTPRequest.Method, path: String, query: [String: String], body: Data) -> Reply {
        guard let route = Route(path: path) else { return ComfyReply.notFound }
        guard route.methods.contains(method) else { return ComfyReply.methodNotAllowed(allow: route.methods) }
        switch (route, method) {
        case (.index, _): return .raw(Data(Self.indexHTML.utf8), status: .ok, contentType: "text/html; charset=utf-8")
        case (.systemStats, _): return .json(SystemStats(pod: pod, world: world))
        case (.prompt, .post): return submit(body)
        case (.prompt, _):
            return queue { queue, _ in
                .json(JSONValue.object(["exec_info": ["queue_remaining": .int(queue.counts.jobsRunning + queue.counts.jobsPending)]]))
            }
        case (.queue, .post): return changeQueue(body)
        case (.queue, _):
            return queue { queue, _ in
                .json(
                    JSONValue.object([
                        "queue_running": .array(queue.running.map { [$0.job.queueItem] } ?? []),
                        "queue_pending": .array(queue.pending.map(\.queueItem)),
                    ]))
            }
        case (.interrupt, _):
            // ComfyUI reads an optional `{"prompt_id": ...}`; a body that is not JSON counts as none.
            let promptID = JSONValue.parse(body)?["prompt_id"]?.stringValue
            return queue { queue, now in
                queue.interrupt(promptID: promptID, now: now)
                return ComfyReply.emptyOK
            }
        case (.history, .post): return changeHistory(body)
        case (.history, _): return history(query: query)
        case (.historyItem(let promptID), _):
            return queue { queue, _ in
                let entry = queue.history.last { $0.job.promptID == promptID }
                return .json(JSONValue.object(entry.map { [promptID: $0.historyEntry] } ?? [:]))
            }
        }
    }

    private func submit(_ body: Data) -> Reply {
        switch PromptRequest.parse(body) {
        case .failure(let reply): return reply
        case .success(let request):
            guard let job = world.submitPrompt(podID: pod.id, request) else { return ProxyReply.badGateway }
            return .json(JSONValue.object(["prompt_id": .string(job.promptID), "number": job.numberJSON, "node_errors": [:]]))
        }
    }

    /// `POST /queue`: `{"clear": true}` empties the pending prompts, `{"delete": [prompt_id, ...]}` removes some.
    private func changeQueue(_ body: Data) -> Reply {
        guard let json = JSONValue.parse(body) else { return ComfyReply.internalServerError }
        return queue { queue, _ in
            if json["clear"]?.truthy == true { queue.clearPending() }
            if let ids = json["delete"]?.arrayValue { queue.delete(promptIDs: ids.compactMap(\.stringValue)) }
            return ComfyReply.emptyOK
        }
    }

    /// `POST /history`: `{"clear": true}` or `{"delete": [prompt_id, ...]}`.
    private func changeHistory(_ body: Data) -> Reply {
        guard let json = JSONValue.parse(body) else { return ComfyReply.internalServerError }
        return queue { queue, _ in
            if json["clear"]?.truthy == true { queue.clearHistory() }
            if let ids = json["delete"]?.arrayValue { queue.deleteHistory(promptIDs: ids.compactMap(\.stringValue)) }
            return ComfyReply.emptyOK
        }
    }

    /// `GET /history?max_items=N&offset=M`: finished prompts, oldest first; `max_items` alone gives the newest N.
    private func history(query: [String: String]) -> Reply {
        var maxItems: Int?
        var offset = -1
        if let text = query["max_items"] {
            guard let value = Int(text) else { return ComfyReply.internalServerError }  // Python's int() raises
            maxItems = value
        }
        if let text = query["offset"] {
            guard let value = Int(text) else { return ComfyReply.internalServerError }
            offset = value
        }
        return queue { queue, _ in
            let all = queue.history
            if offset < 0, let maxItems { offset = all.count - maxItems }
            var out: [String: JSONValue] = [:]
            for finished in all.dropFirst(max(0, offset)) {
                if let maxItems, out.count >= maxItems { break }
                out[finished.job.promptID] = finished.historyEntry
            }
            return .json(JSONValue.object(out))
        }
    }

    private func queue(_ body: (inout ComfyQueue, Date) -> Reply) -> Reply {
        world.withComfyUI(podID: pod.id, body) ?? ProxyReply.badGateway
    }

    static let indexHTML = """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="UTF-8"><title>ComfyUI</title></head>
        <body><div id="vue-app">ComfyUI (RunPod emulator)</div></body>
        </html>

        """
}

extension JSONValue {
    /// Python's truthiness, for flags ComfyUI tests with `if json_data["clear"]:`.
    var truthy: Bool {
        switch self {
        case .null: false
        case .bool(let value): value
        case .int(let value): value != 0
        case .double(let value): value != 0
        case .string(let value): !value.isEmpty
        case .array(let value): !value.isEmpty
        case .object(let value): !value.isEmpty
        }
    }
}
