import Foundation

/// What a `POST /prompt` body asked for, checked the way ComfyUI's `post_prompt` and `validate_prompt` check it
/// (comfyanonymous/ComfyUI `server.py`, `execution.py`), as far as an emulator without node classes can.
///
/// The emulator cannot know which node classes exist, so it accepts any `class_type` and treats nodes whose class
/// starts with `Save` or `Preview` as the outputs (`SaveImage`, `PreviewImage`, `SaveAnimatedWEBP`, …).
struct PromptRequest: Sendable {
    /// The `extra_data` key that says how long the job runs, in seconds at RunPod's pace (scaled by the time scale).
    static let runSecondsKey = "emulator_seconds"
    /// How long a job runs when `extra_data` does not say.
    static let defaultRunSeconds = 3.0

    /// The workflow in API format: node id → `{"class_type", "inputs"}`.
    var prompt: [String: JSONValue]
    /// `extra_data` as ComfyUI keeps it: the client's object, plus `client_id` when the body had one.
    var extraData: [String: JSONValue]
    /// A prompt id the client chose (ComfyUI accepts `prompt_id` in the body); nil lets the server pick a UUID.
    var promptID: String?
    /// A queue number the client chose (`number`); nil takes the server's counter.
    var number: Double?
    /// `front: true` puts the prompt ahead of the pending ones (ComfyUI negates its number).
    var front: Bool
    /// Ids of the output nodes, in id order: ComfyUI's `outputs_to_execute`.
    var outputsToExecute: [String]
    /// How long the job runs at RunPod's pace, before the time scale.
    var runSeconds: Double

    /// Parses a body; the failure is ComfyUI's answer to it.
    static func parse(_ body: Data) -> Result<PromptRequest, Reply> {
        guard let json = JSONValue.parse(body), let object = json.objectValue else {
            // aiohttp's `request.json()` raises on a body that is not JSON, and ComfyUI does not catch it.
            return .failure(ComfyReply.internalServerError)
        }
        guard let prompt = object["prompt"]?.objectValue else {
            return .failure(ComfyReply.promptError(type: "no_prompt", message: "No prompt provided", details: "No prompt provided"))
        }
        if let id = prompt.keys.sorted().first(where: { prompt[$0]?["class_type"]?.stringValue == nil }) {
            return .failure(
                ComfyReply.promptError(
                    type: "invalid_prompt", message: "Cannot execute because a node is missing the class_type property.",
                    details: "Node ID '#\(id)'"))
        }
        guard !prompt.isEmpty else {
            return .failure(ComfyReply.promptError(type: "prompt_no_outputs", message: "Prompt has no outputs", details: ""))
        }
        var extraData = object["extra_data"]?.objectValue ?? [:]
        if let clientID = object["client_id"] { extraData["client_id"] = clientID }
        let requested = extraData[runSecondsKey].flatMap(\.numberValue)
        return .success(
            PromptRequest(
                prompt: prompt, extraData: extraData, promptID: object["prompt_id"].flatMap(Self.text),
                number: object["number"].flatMap(\.numberValue), front: object["front"]?.boolValue ?? false,
                outputsToExecute: prompt.keys.filter { id in prompt[id]?["class_type"]?.stringValue.map(isOutputNode) ?? false }
                    .sorted(),
                runSeconds: requested.map { max(0, $0) } ?? defaultRunSeconds))
    }

    /// Whether a node class writes a result ComfyUI lists in the history's `outputs`.
    static func isOutputNode(_ classType: String) -> Bool {
        classType.hasPrefix("Save") || classType.hasPrefix("Preview")
    }

    /// Python's `str(value)` for the ids a client may send as a number or a string.
    private static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        default: nil
        }
    }
}

extension JSONValue {
    /// Any JSON number as a `Double`; nil for other values.
    var numberValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }
}
