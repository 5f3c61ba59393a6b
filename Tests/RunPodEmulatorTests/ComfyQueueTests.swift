import Foundation
import Testing

@testable import RunPodEmulator

@Suite("ComfyUI on a pod: the prompt queue")
struct ComfyQueueTests {
    @Test("prompts run one at a time, in the order they were queued, each starting when the one before ends")
    func oneAtATimeInOrder() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            let first = try await emulator.submitPrompt(podID: id, seconds: 10)
            let second = try await emulator.submitPrompt(podID: id, seconds: 5, seed: 2)
            let third = try await emulator.submitPrompt(podID: id, seconds: 1, seed: 3)
            #expect(Set([first, second, third]).count == 3 && !first.isEmpty)

            var queue = try await emulator.comfyQueue(podID: id)
            #expect(queue.running == [first] && queue.pending == [second, third])

            clock.advance(by: .seconds(9.9))
            #expect(try await emulator.comfyQueue(podID: id).running == [first], "10 s have not passed")
            clock.advance(by: .seconds(0.1))
            queue = try await emulator.comfyQueue(podID: id)
            #expect(queue.running == [second] && queue.pending == [third])

            clock.advance(by: .seconds(6))  // the second ends at 15 s, the third at 16 s: both done, unobserved
            queue = try await emulator.comfyQueue(podID: id)
            #expect(queue.running.isEmpty && queue.pending.isEmpty)

            let history = try await emulator.comfy(.GET, podID: id, "/history").json
            let started = [first, second, third].map { history[$0]?["status"]?["messages"]?.arrayValue?.first?.arrayValue?[1]["timestamp"] }
            let ended = [first, second, third].map { history[$0]?["status"]?["messages"]?.arrayValue?.last?.arrayValue?[1]["timestamp"] }
            #expect(started[1] == ended[0] && started[2] == ended[1], "each starts the moment the one before ends")
            let base = try #require(started[0]?.intValue)
            #expect(ended.map { $0?.intValue } == [base + 10_000, base + 15_000, base + 16_000])
            #expect(await emulator.comfyCounts(podID: id)?.jobsCompleted == 3)
        }
    }

    @Test("GET /queue lists running and pending prompts as ComfyUI's tuples; POST /prompt answers id, number, node_errors")
    func queueShape() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            let answer = try await emulator.comfy(.POST, podID: id, "/prompt", body: promptBody(seconds: 30))
            #expect(answer.status == 200 && answer.contentType.hasPrefix("application/json"))
            #expect(answer.json["number"] == 0 && answer.json["node_errors"] == [:])
            let promptID = try #require(answer.json["prompt_id"]?.stringValue)
            #expect(promptID.count == 36 && promptID == promptID.lowercased() && promptID.split(separator: "-").count == 5)
            let second = try await emulator.comfy(.POST, podID: id, "/api/prompt", body: promptBody(seconds: 30, seed: 2))
            #expect(second.json["number"] == 1, "ComfyUI serves every API route under /api too")

            let queue = try await emulator.comfy(.GET, podID: id, "/queue").json
            let running = try #require(queue["queue_running"]?.arrayValue?.first?.arrayValue)
            #expect(running.count == 5)
            #expect(running[0] == 0 && running[1] == .string(promptID))
            #expect(running[2] == comfyWorkflow())
            #expect(running[3]["client_id"] == "worker-1" && running[3][PromptRequest.runSecondsKey] == 30)
            #expect(running[4] == ["9"], "outputs_to_execute: the SaveImage node")
            #expect(queue["queue_pending"]?.arrayValue?.count == 1)
            #expect(try await emulator.comfy(.GET, podID: id, "/prompt").json == ["exec_info": ["queue_remaining": 2]])
        }
    }

    @Test("history is {} until the prompt is done, then holds its outputs and a success status; GET /history lists finished ones")
    func historyWhenDone() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            let first = try await emulator.submitPrompt(podID: id)  // no emulator_seconds: the default, 3 s
            let second = try await emulator.submitPrompt(podID: id, seconds: 60, seed: 2)
            #expect(try await emulator.comfy(.GET, podID: id, "/history/\(first)").json == [:])

            clock.advance(by: .seconds(3))
            let entry = try #require(try await emulator.comfy(.GET, podID: id, "/history/\(first)").json[first])
            #expect(entry["status"]?["status_str"] == "success" && entry["status"]?["completed"] == true)
            let kinds = entry["status"]?["messages"]?.arrayValue?.compactMap { $0.arrayValue?.first?.stringValue }
            #expect(kinds == ["execution_start", "execution_cached", "execution_success"])
            #expect(entry["prompt"]?.arrayValue?[1] == .string(first))
            #expect(entry["outputs"]?["9"]?["images"]?.arrayValue?.first?["filename"] == "ComfyUI_00001_.png")
            #expect(entry["outputs"]?["9"]?["images"]?.arrayValue?.first?["type"] == "output")

            var history = try await emulator.comfy(.GET, podID: id, "/history").json
            #expect(history.objectValue.map { Array($0.keys) } == [first], "the running prompt is not history yet")
            #expect(try await emulator.comfy(.GET, podID: id, "/history/\(second)").json == [:])

            clock.advance(by: .seconds(60))
            history = try await emulator.comfy(.GET, podID: id, "/history").json
            #expect(history.objectValue.map { Set($0.keys) } == [first, second])
            let newest = try await emulator.comfy(.GET, podID: id, "/history?max_items=1").json
            #expect(newest.objectValue.map { Array($0.keys) } == [second])
        }
    }

    @Test("a job runs for emulator_seconds times the time scale, on the emulator's clock", arguments: [1.0, 0.01])
    func runTimeFollowsTimeScale(scale: Double) async throws {
        let clock = ManualEmulatorClock()
        try await withEmulator(EmulatorOptions(port: 0, timeScale: scale, clock: clock)) { emulator in
            let id = try await emulator.readyPod(clock: clock, timeScale: scale)
            let prompt = try await emulator.submitPrompt(podID: id, seconds: 100)
            clock.advance(by: .seconds(100 * scale * 0.99))
            #expect(try await emulator.comfyQueue(podID: id).running == [prompt])
            clock.advance(by: .seconds(100 * scale * 0.01))
            #expect(try await emulator.comfyQueue(podID: id).running.isEmpty)
            #expect(await emulator.comfyCounts(podID: id)?.jobsCompleted == 1)
        }
    }

    @Test("at a small time scale on the real clock a 3-second job is done within milliseconds")
    func realClockSmallScale() async throws {
        try await withEmulator(EmulatorOptions(port: 0, timeScale: 0.0005)) { emulator in
            let (_, id) = try await emulator.createPod()
            var prompt = ""
            for _ in 0..<200 where prompt.isEmpty {
                prompt = try await emulator.submitPrompt(podID: id)
                if prompt.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            }
            var entry = JSONValue.null
            for _ in 0..<200 where entry == .null {
                entry = try await emulator.comfy(.GET, podID: id, "/history/\(prompt)").json[prompt] ?? .null
                if entry == .null { try await Task.sleep(for: .milliseconds(2)) }
            }
            #expect(entry["status"]?["status_str"] == "success")
        }
    }

    @Test("POST /queue deletes or clears pending prompts; POST /interrupt stops the running one, and the next starts")
    func deleteClearInterrupt() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            let prompts = [
                try await emulator.submitPrompt(podID: id, seconds: 50), try await emulator.submitPrompt(podID: id, seconds: 50, seed: 2),
                try await emulator.submitPrompt(podID: id, seconds: 50, seed: 3), try await emulator.submitPrompt(podID: id, seconds: 50, seed: 4),
            ]
            let delete = try await emulator.comfy(.POST, podID: id, "/queue", body: #"{"delete": ["\#(prompts[1])"]}"#)
            #expect(delete.status == 200 && delete.body.isEmpty)
            #expect(try await emulator.comfyQueue(podID: id).pending == [prompts[2], prompts[3]])

            clock.advance(by: .seconds(5))
            #expect(try await emulator.comfy(.POST, podID: id, "/interrupt", body: #"{"prompt_id": "not-running"}"#).status == 200)
            #expect(try await emulator.comfyQueue(podID: id).running == [prompts[0]], "another prompt id interrupts nothing")
            #expect(try await emulator.comfy(.POST, podID: id, "/interrupt").status == 200)
            #expect(try await emulator.comfyQueue(podID: id) == ([prompts[2]], [prompts[3]]))
            let stopped = try await emulator.comfy(.GET, podID: id, "/history/\(prompts[0])").json[prompts[0]]
            #expect(stopped?["status"]?["status_str"] == "error" && stopped?["status"]?["completed"] == false)
            #expect(stopped?["status"]?["messages"]?.arrayValue?.last?.arrayValue?.first == "execution_interrupted")

            #expect(try await emulator.comfy(.POST, podID: id, "/queue", body: #"{"clear": true}"#).status == 200)
            #expect(try await emulator.comfyQueue(podID: id) == ([prompts[2]], []))
            #expect(try await emulator.comfy(.GET, podID: id, "/interrupt").status == 405)
            let counts = await emulator.comfyCounts(podID: id)
            #expect(counts?.jobsInterrupted == 1 && counts?.jobsRunning == 1 && counts?.jobsPending == 0)
        }
    }

    @Test("front: true puts a prompt ahead of the pending ones")
    func front() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            let running = try await emulator.submitPrompt(podID: id, seconds: 10)
            let waiting = try await emulator.submitPrompt(podID: id, seconds: 10, seed: 2)
            let urgent = try await emulator.comfy(
                .POST, podID: id, "/prompt", body: #"{"prompt": {"1": {"class_type": "PreviewImage", "inputs": {}}}, "front": true}"#)
            #expect(urgent.json["number"] == -2)
            let urgentID = try #require(urgent.json["prompt_id"]?.stringValue)
            #expect(try await emulator.comfyQueue(podID: id) == ([running], [urgentID, waiting]))
        }
    }
}
