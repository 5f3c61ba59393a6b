import Foundation
import Testing

@testable import RunPodEmulator

@Suite("ComfyUI on a pod: the queue lives and dies with the pod")
struct ComfyLifecycleTests {
    @Test("a pod terminated mid-job counts one lost job; a job that ended before, unobserved, counts as completed")
    func terminatedMidJob() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            _ = try await emulator.submitPrompt(podID: id, seconds: 5)
            _ = try await emulator.submitPrompt(podID: id, seconds: 20, seed: 2)
            clock.advance(by: .seconds(10))  // the first ended at 5 s; nobody looked
            #expect(try await emulator.call(.DELETE, "/v2/pods/\(id)").status == 204)

            let counts = try #require(await emulator.comfyCounts(podID: id))
            #expect(counts.jobsCompleted == 1)
            #expect(counts.jobsLostByTermination == 1, "the second was running when the pod went")
            #expect(counts.jobsRunning == 0 && counts.jobsPending == 0 && counts.jobsLostByStop == 0)
            #expect(try await emulator.comfy(.GET, podID: id, "/queue").status == 404, "the pod is gone")
        }
    }

    @Test("an idle pod terminated loses nothing: what a scale-down that waits for an empty queue looks like")
    func idleTermination() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            _ = try await emulator.submitPrompt(podID: id, seconds: 5)
            clock.advance(by: .seconds(5))
            #expect(try await emulator.comfyQueue(podID: id) == ([], []))
            #expect(try await emulator.call(.DELETE, "/v2/pods/\(id)").status == 204)
            let counts = await emulator.comfyCounts(podID: id)
            #expect(counts?.jobsCompleted == 1 && counts?.jobsLostByTermination == 0)
        }
    }

    @Test("stopping a pod drops its queue and history (counted apart from terminations); started again, ComfyUI begins empty")
    func stopDropsQueue() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            let done = try await emulator.submitPrompt(podID: id, seconds: 1)
            _ = try await emulator.submitPrompt(podID: id, seconds: 30, seed: 2)
            _ = try await emulator.submitPrompt(podID: id, seconds: 30, seed: 3)
            clock.advance(by: .seconds(2))
            #expect(try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action": "stop"}"#).status == 200)
            #expect(try await emulator.comfy(.GET, podID: id, "/queue").status == 502)
            var counts = await emulator.comfyCounts(podID: id)
            #expect(counts?.jobsLostByStop == 2 && counts?.jobsLostByTermination == 0 && counts?.jobsCompleted == 1)

            #expect(try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action": "start"}"#).status == 200)
            clock.advance(by: .seconds(90))
            #expect(try await emulator.comfyQueue(podID: id) == ([], []))
            #expect(try await emulator.comfy(.GET, podID: id, "/history/\(done)").json == [:], "history lived in the old process")
            let again = try await emulator.comfy(.POST, podID: id, "/prompt", body: promptBody())
            #expect(again.json["number"] == 0, "a new ComfyUI counts from 0")
            counts = await emulator.comfyCounts(podID: id)
            #expect(counts?.jobsCompleted == 1 && counts?.jobsRunning == 1, "the pod's counts outlive the process")
        }
    }

    @Test("restarting the container loses its jobs; ComfyUI answers again, empty, once it is back up")
    func restartDropsQueue() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            _ = try await emulator.submitPrompt(podID: id, seconds: 60)
            _ = try await emulator.submitPrompt(podID: id, seconds: 60, seed: 2)
            #expect(try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action": "restart"}"#).status == 200)
            #expect(try await emulator.comfy(.GET, podID: id, "/queue").status == 502)
            #expect(await emulator.comfyCounts(podID: id)?.jobsLostByStop == 2)
            clock.advance(by: .seconds(45))  // no pull on a restart: 15 s start + 30 s app
            #expect(try await emulator.comfyQueue(podID: id) == ([], []))
        }
    }

    @Test("a lost machine takes the running job with it, at the moment it went")
    func machineLost() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            _ = try await emulator.submitPrompt(podID: id, seconds: 60)
            clock.advance(by: .seconds(1))
            try await emulator.loseMachine(podID: id)
            let counts = await emulator.comfyCounts(podID: id)
            #expect(counts?.jobsLostByStop == 1 && counts?.jobsCompleted == 0)
        }
    }

    @Test(
        "POST /prompt refuses a body without a prompt object with ComfyUI's 400",
        arguments: [#"{"client_id": "x"}"#, #"{"prompt": "text"}"#, #"{"prompt": [1, 2]}"#])
    func noPrompt(body: String) async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            let answer = try await emulator.comfy(.POST, podID: id, "/prompt", body: body)
            #expect(answer.status == 400 && answer.contentType.hasPrefix("application/json"))
            #expect(
                answer.json == [
                    "error": ["type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided", "extra_info": [:]],
                    "node_errors": [:],
                ])
            #expect(try await emulator.comfyQueue(podID: id) == ([], []))
        }
    }

    @Test("POST /prompt refuses a node without class_type and an empty workflow; a body that is not JSON gets aiohttp's 500")
    func invalidPrompts() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            let missing = try await emulator.comfy(.POST, podID: id, "/prompt", body: #"{"prompt": {"3": {"inputs": {}}}}"#)
            #expect(missing.status == 400 && missing.json["error"]?["type"] == "invalid_prompt")
            #expect(missing.json["error"]?["details"] == "Node ID '#3'")
            let empty = try await emulator.comfy(.POST, podID: id, "/prompt", body: #"{"prompt": {}}"#)
            #expect(empty.status == 400 && empty.json["error"]?["type"] == "prompt_no_outputs")
            let garbage = try await emulator.comfy(.POST, podID: id, "/prompt", body: "not json")
            #expect(garbage.status == 500)
            #expect(await emulator.comfyCounts(podID: id) == ComfyJobCounts())
        }
    }

    @Test("through the proxy, POST /prompt gets 502 before the app is up and 404 for an unknown pod")
    func beforeTheAppIsUp() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let (_, id) = try await emulator.createPod()
            clock.advance(by: .seconds(89))
            let early = try await emulator.comfy(.POST, podID: id, "/prompt", body: promptBody())
            #expect(early.status == 502, "RUNNING, but ComfyUI is still loading")
            clock.advance(by: .seconds(1))
            #expect(try await emulator.comfy(.POST, podID: id, "/prompt", body: promptBody()).status == 200)
            #expect(try await emulator.comfy(.POST, podID: "nosuchpod00000", "/prompt", body: promptBody()).status == 404)
            #expect(try await emulator.comfy(.GET, podID: id, "/no/such/route").status == 404)
        }
    }

    @Test("fault rules for the proxy hit POSTs too, before the prompt is queued")
    func faultsOnPost() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await emulator.readyPod(clock: clock)
            await emulator.setFaults([FaultRule(operation: "proxy", kind: .serverError(status: 503), times: 1)])
            #expect(try await emulator.comfy(.POST, podID: id, "/prompt", body: promptBody()).status == 503)
            #expect(try await emulator.comfyQueue(podID: id) == ([], []), "the faulted prompt never reached ComfyUI")
            #expect(try await emulator.comfy(.POST, podID: id, "/prompt", body: promptBody()).status == 200)
            #expect(await emulator.state().calls["proxy"] == 3)
        }
    }
}
