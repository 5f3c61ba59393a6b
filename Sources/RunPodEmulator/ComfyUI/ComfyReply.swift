import Foundation
import Hummingbird

/// ComfyUI's answers, shaped as its aiohttp server sends them.
enum ComfyReply {
    /// aiohttp's answer to an exception a handler did not catch (a body that is not JSON, for one).
    static var internalServerError: Reply {
        .raw(
            Data("500 Internal Server Error\n\nServer got itself in trouble".utf8), status: .internalServerError,
            contentType: "text/plain; charset=utf-8")
    }

    /// aiohttp's 404 for a path no route serves.
    static var notFound: Reply { .raw(Data("404: Not Found".utf8), status: .notFound, contentType: "text/plain; charset=utf-8") }

    /// aiohttp's 405 for a path served with other methods.
    static func methodNotAllowed(allow: [HTTPRequest.Method]) -> Reply {
        var reply = Reply.raw(Data("405: Method Not Allowed".utf8), status: .methodNotAllowed, contentType: "text/plain; charset=utf-8")
        reply.headers[.allow] = allow.map(\.rawValue).joined(separator: ",")
        return reply
    }

    /// `web.Response(status=200)`: what ComfyUI's `POST /queue`, `/interrupt` and `/history` return.
    static var emptyOK: Reply {
        var reply = Reply(status: .ok)
        reply.headers[.contentType] = "application/octet-stream"
        return reply
    }

    /// `POST /prompt`'s 400: `{"error": {"type", "message", "details", "extra_info"}, "node_errors": {}}`.
    static func promptError(type: String, message: String, details: String) -> Reply {
        let error: JSONValue = ["type": .string(type), "message": .string(message), "details": .string(details), "extra_info": [:]]
        return .json(JSONValue.object(["error": error, "node_errors": [:]]), status: .badRequest)
    }
}

extension ComfyJob {
    /// ComfyUI's queue tuple as JSON: `[number, prompt_id, prompt, extra_data, outputs_to_execute]`.
    var queueItem: JSONValue {
        [numberJSON, .string(promptID), .object(prompt), .object(extraData), .array(outputsToExecute.map(JSONValue.string))]
    }

    /// The number as Python prints it: an int from the counter, a float when the client gave one.
    var numberJSON: JSONValue {
        number.rounded() == number && abs(number) < 1e15 ? .int(Int(number)) : .double(number)
    }
}

extension FinishedJob {
    /// One entry of `GET /history`: the queue tuple, the outputs, the status with its messages, and `meta`.
    var historyEntry: JSONValue {
        let id = JSONValue.string(job.promptID)
        let start = Self.milliseconds(startedAt)
        let end = Self.milliseconds(endedAt)
        var messages: [JSONValue] = [
            ["execution_start", ["prompt_id": id, "timestamp": start]],
            ["execution_cached", ["nodes": [], "prompt_id": id, "timestamp": start]],
        ]
        if interrupted {
            let node = job.prompt.keys.sorted().first ?? ""
            let type = job.prompt[node]?["class_type"] ?? .null
            messages.append(
                ["execution_interrupted", ["prompt_id": id, "node_id": .string(node), "node_type": type, "executed": [], "timestamp": end]])
        } else {
            messages.append(["execution_success", ["prompt_id": id, "timestamp": end]])
        }
        var meta: [String: JSONValue] = [:]
        for node in outputs.keys {
            meta[node] = ["node_id": .string(node), "display_node": .string(node), "parent_node": nil, "real_node_id": .string(node)]
        }
        return [
            "prompt": job.queueItem,
            "outputs": .object(outputs),
            "status": ["status_str": interrupted ? "error" : "success", "completed": .bool(!interrupted), "messages": .array(messages)],
            "meta": .object(meta),
        ]
    }

    /// ComfyUI's message timestamps: Unix milliseconds.
    private static func milliseconds(_ date: Date) -> JSONValue { .int(Int((date.timeIntervalSince1970 * 1000).rounded())) }
}
