import Foundation
import NIOHTTP1

@testable import RunPodEmulator

/// A small text-to-image workflow in ComfyUI's API format; node 9 saves the image.
func comfyWorkflow(seed: Int = 1) -> JSONValue {
    [
        "4": ["class_type": "CheckpointLoaderSimple", "inputs": ["ckpt_name": "sd_xl_base_1.0.safetensors"]],
        "3": ["class_type": "KSampler", "inputs": ["seed": .int(seed), "steps": 20, "model": ["4", 0]]],
        "9": ["class_type": "SaveImage", "inputs": ["filename_prefix": "ComfyUI", "images": ["8", 0]]],
    ]
}

/// A `POST /prompt` body running `seconds` (at RunPod's pace) when given.
func promptBody(seconds: Double? = nil, clientID: String = "worker-1", seed: Int = 1, extra: [String: JSONValue] = [:]) -> String {
    var extraData = extra
    if let seconds { extraData[PromptRequest.runSecondsKey] = .double(seconds) }
    let body: JSONValue = ["prompt": comfyWorkflow(seed: seed), "client_id": .string(clientID), "extra_data": .object(extraData)]
    return String(decoding: (try? JSONCoding.encoder.encode(body)) ?? Data(), as: UTF8.self)
}

extension RunningEmulator {
    /// A request to a pod's ComfyUI through the proxy (no API key: the proxy does not need one).
    func comfy(_ method: HTTPMethod, podID: String, _ path: String, body: String? = nil) async throws -> RESTAnswer {
        try await call(method, "/proxy/\(podID)-8188\(path)", body: body, auth: .none)
    }

    /// Queues a prompt and returns its id ("" when refused, so the caller's expectations fail).
    func submitPrompt(podID: String, seconds: Double? = nil, seed: Int = 1) async throws -> String {
        let answer = try await comfy(.POST, podID: podID, "/prompt", body: promptBody(seconds: seconds, seed: seed))
        return answer.json["prompt_id"]?.stringValue ?? ""
    }

    /// The prompt ids `GET /queue` lists as running and as pending.
    func comfyQueue(podID: String) async throws -> (running: [String], pending: [String]) {
        let queue = try await comfy(.GET, podID: podID, "/queue").json
        let ids = { (key: String) in queue[key]?.arrayValue?.compactMap { $0.arrayValue?[1].stringValue } ?? [] }
        return (ids("queue_running"), ids("queue_pending"))
    }

    /// The pod's job counts from the inspection state.
    func comfyCounts(podID: String) async -> ComfyJobCounts? {
        await state().pods.first { $0.id == podID }?.comfy
    }

    /// Creates a pod and moves the stepped clock to the moment its app answers: 45 s pull + 15 s start + 30 s app at
    /// RunPod's pace, times the emulator's time scale.
    func readyPod(clock: ManualEmulatorClock, timeScale: Double = 1) async throws -> String {
        let (_, id) = try await createPod()
        clock.advance(by: .seconds(90 * timeScale))
        return id
    }
}
