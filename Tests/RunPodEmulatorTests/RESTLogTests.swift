import Foundation
import Testing

@testable import RunPodEmulator

/// One Server-Sent Event of the log stream.
struct LogEvent {
    let id: String
    let data: JSONValue
    var line: String { data["line"]?.stringValue ?? "" }
    var source: String { data["source"]?.stringValue ?? "" }
}

func parseEvents(_ text: String) -> [LogEvent] {
    text.components(separatedBy: "\n\n").compactMap { block in
        var id: String?
        var data: JSONValue?
        for line in block.split(separator: "\n") {
            if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
            if line.hasPrefix("data: ") { data = JSONValue.parse(Data(line.dropFirst(6).utf8)) }
        }
        guard let id, let data else { return nil }
        return LogEvent(id: id, data: data)
    }
}

@Suite("REST v2 pod logs (Server-Sent Events)")
struct RESTLogTests {
    /// A pod whose app came up and whose machine then went away, so its log is complete and the stream ends.
    private func finishedPod(_ emulator: RunningEmulator, _ clock: ManualEmulatorClock) async throws -> String {
        let (_, id) = try await emulator.createPod()
        clock.advance(by: .seconds(90))
        try await emulator.loseMachine(podID: id)
        return id
    }

    @Test("the stream carries image pull, container start and ComfyUI start-up lines as id + data events")
    func fullLog() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await finishedPod(emulator, clock)
            let answer = try await emulator.call(.GET, "/v2/pods/\(id)/logs")
            #expect(answer.status == 200)
            #expect(answer.contentType == "text/event-stream")
            #expect(answer.headers.first(name: "Cache-Control") == "no-cache")
            let events = parseEvents(answer.text)
            let lines = events.map(\.line)
            #expect(lines.contains { $0.contains("Pulling from bilunsun/comfyuiprod") })
            #expect(lines.contains("Starting server"))
            #expect(lines.contains("To see the GUI go to: http://0.0.0.0:8188"))
            #expect(events.allSatisfy { $0.data["ts"]?.stringValue.map { $0.hasPrefix(String($0.prefix(4))) } == true })
            #expect(events.allSatisfy { $0.id.hasPrefix($0.data["ts"]?.stringValue ?? "-") })
            #expect(Set(events.map(\.source)) == ["system", "container"])
        }
    }

    @Test("source, tail and Last-Event-ID select what is sent")
    func selection() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let id = try await finishedPod(emulator, clock)
            let all = parseEvents(try await emulator.call(.GET, "/v2/pods/\(id)/logs").text)
            let container = parseEvents(try await emulator.call(.GET, "/v2/pods/\(id)/logs?source=container").text)
            #expect(!container.isEmpty && container.allSatisfy { $0.source == "container" })
            let tail = parseEvents(try await emulator.call(.GET, "/v2/pods/\(id)/logs?tail=2").text)
            #expect(tail.map(\.id) == all.suffix(2).map(\.id))
            let resumed = parseEvents(try await emulator.call(.GET, "/v2/pods/\(id)/logs", headers: [("Last-Event-ID", all[2].id)]).text)
            #expect(resumed.map(\.id) == all.dropFirst(3).map(\.id))
            #expect(try await emulator.call(.GET, "/v2/pods/\(id)/logs?source=kernel").status == 422)
            #expect(try await emulator.call(.GET, "/v2/pods/nosuchpod00000/logs").status == 404)
        }
    }

    @Test("the stream follows the pod and closes by itself when the pod ends in ERROR")
    func follows() async throws {
        var scenario = Scenario.default
        scenario.podFailures = [PodFailureRule(mode: .imagePullFails)]
        try await withEmulator(EmulatorOptions(port: 0, scenario: scenario, timeScale: 0.002)) { emulator in
            let (_, id) = try await emulator.createPod()
            let answer = try await emulator.call(.GET, "/v2/pods/\(id)/logs")
            let lines = parseEvents(answer.text).map(\.line)
            #expect(lines.first?.contains("scheduled on machine") == true)
            #expect(lines.last?.contains("pull access denied") == true, "the error arrived after the stream opened")
        }
    }
}
