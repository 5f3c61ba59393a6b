import Foundation
import Testing

@testable import RunPodEmulator

@Suite("REST v2 pod actions, delete and list")
struct RESTActionTests {
    @Test("an action not in the pod's actions gets 409")
    func invalidAction() async throws {
        let (options, _) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let (_, id) = try await emulator.createPod()
            for action in ["restart", "start"] {
                let answer = try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action":"\#(action)"}"#)
                #expect(answer.status == 409, "\(action) on PROVISIONING")
                #expect(answer.contentType == "application/problem+json")
            }
        }
    }

    @Test("an action body that breaks the contract gets 422; an unknown pod 404")
    func actionContract() async throws {
        try await withEmulator { emulator in
            let (_, id) = try await emulator.createPod()
            #expect(try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action":"pause"}"#).status == 422)
            #expect(try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{}"#).status == 422)
            #expect(try await emulator.call(.POST, "/v2/pods/nosuchpod00000/action", body: #"{"action":"stop"}"#).status == 404)
        }
    }

    @Test("stop gives 200 EXITED at no cost and returns the GPUs; start brings it back; restart keeps it RUNNING")
    func stopStartRestart() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let (_, id) = try await emulator.createPod()
            clock.advance(by: .seconds(60))
            let stopped = try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action":"stop"}"#)
            #expect(stopped.status == 200)
            #expect(stopped.json["status"] == "EXITED")
            #expect(stopped.json["cost"] == 0)
            #expect(await emulator.stock(gpuTypeID: "NVIDIA GeForce RTX 4090", dataCenterID: "EU-RO-1") == 12)

            let started = try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action":"start"}"#)
            #expect(started.status == 200)
            #expect(started.json["status"] == "PROVISIONING")
            #expect(await emulator.stock(gpuTypeID: "NVIDIA GeForce RTX 4090", dataCenterID: "EU-RO-1") == 11)
            clock.advance(by: .seconds(60))
            let restarted = try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action":"restart"}"#)
            #expect(restarted.status == 200)
            #expect(restarted.json["status"] == "STARTING")
            clock.advance(by: .seconds(15))
            #expect(try await emulator.getPod(id).json["status"] == "RUNNING")
        }
    }

    @Test("terminate by action gives 204; the pod is then 404 and gone from the list but kept in the state")
    func terminate() async throws {
        try await withEmulator { emulator in
            let (_, id) = try await emulator.createPod()
            let (_, other) = try await emulator.createPod(launcherCreateBody(name: "other"))
            let answer = try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action":"terminate"}"#)
            #expect(answer.status == 204)
            #expect(answer.body.isEmpty)
            #expect(try await emulator.getPod(id).status == 404)
            let list = try await emulator.call(.GET, "/v2/pods").json["pods"]?.arrayValue ?? []
            #expect(list.map { $0["id"] } == [.string(other)])
            let state = await emulator.state()
            #expect(state.pods.first { $0.id == id }?.alive == false)
            #expect(state.pods.first { $0.id == id }?.status == "TERMINATED")
            #expect(try await emulator.call(.DELETE, "/v2/pods/\(id)").status == 404, "a terminated pod cannot be deleted again")
        }
    }

    @Test("pod ids look like RunPod's: 14 lowercase letters and digits")
    func podIDs() async throws {
        try await withEmulator { emulator in
            let (_, id) = try await emulator.createPod()
            #expect(id.count == 14)
            #expect(id.allSatisfy { $0.isLowercase || $0.isNumber })
        }
    }
}
