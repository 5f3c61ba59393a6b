import Foundation
import RunPodAPI
import RunPodEmulator
import Synchronization
import TestSupport
import Testing

/// The client's models against the emulator's answers: every operation the launcher uses decodes.
@Suite("client against the emulator")
struct EmulatorWireTests {
    func client(_ emulator: RunningEmulator) -> RunPodClient {
        RunPodClient(
            baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey),
            retryPolicy: .exponential(base: .milliseconds(5), cap: .milliseconds(20), jitter: false))
    }

    @Test("catalog, data centers, volumes and a pod's whole life decode")
    func operationsDecode() async throws {
        try await withEmulator { emulator in
            let client = client(emulator)
            let gpus = try await client.listGPUTypes(count: 1, cloud: .secure)
            #expect(gpus.contains { $0.id == "NVIDIA A40" && $0.dataCenters?.contains { $0.id == "EU-RO-1" } == true })
            let dataCenters = try await client.listDataCenters()
            #expect(dataCenters.contains { $0.id == "EU-RO-1" })
            let volume = try await client.getNetworkVolume(id: "rp-vol-comfyui01")
            #expect(volume.dataCenter == "EU-RO-1")
            #expect(try await client.listNetworkVolumes().count >= 1)

            let created = try await client.createPod(
                RunPod.CreatePodRequest(
                    name: "wire-test", image: "bilunsun/comfyuiprod:pod-test-0", gpu: .init(id: "NVIDIA A40", count: 1), cloud: .secure,
                    dataCenterIds: ["EU-RO-1"], mounts: .init(network: [.init(volumeId: "rp-vol-comfyui01", path: "/workspace")]),
                    ports: ["8188/http"], env: ["A": "1"], disk: 20))
            #expect(created.name == "wire-test")
            #expect(try await client.getPod(id: created.id).id == created.id)
            #expect(try await client.listPods().contains { $0.id == created.id })
            try await client.deletePod(id: created.id)
            let after = await emulator.state().pods.first { $0.id == created.id }
            #expect(after?.alive == false)
        }
    }

    @Test("an unknown pod is a 404 with RunPod's problem document")
    func unknownPod() async throws {
        try await withEmulator { emulator in
            let error = try await #require(throws: RunPodAPIError.self) { try await client(emulator).getPod(id: "nope") }
            #expect(error.status == 404)
            #expect(error.problem?.status == 404)
        }
    }

    @Test("pod logs stream as lines; a terminated pod's stream is a 404")
    func logsStream() async throws {
        try await withEmulator { emulator in
            let client = client(emulator)
            let pod = try await client.createPod(
                RunPod.CreatePodRequest(
                    name: "logs-test", image: "bilunsun/comfyuiprod:pod-test-0", gpu: .init(id: "NVIDIA A40", count: 1), cloud: .secure,
                    dataCenterIds: ["EU-RO-1"], ports: ["8188/http"], disk: 20))
            var lines: [RunPod.LogLine] = []
            for try await line in client.podLogs(id: pod.id) {
                lines.append(line)
                if lines.count == 3 { break }
            }
            #expect(lines.count == 3)
            #expect(lines.allSatisfy { !$0.line.isEmpty && !$0.ts.isEmpty })
            try await client.deletePod(id: pod.id)
            // A terminated pod has no logs: the stream ends with RunPod's 404.
            let error = try await #require(throws: RunPodAPIError.self) {
                for try await _ in client.podLogs(id: pod.id, tail: 5) {}
            }
            #expect(error.status == 404)
        }
    }

    @Test("SSE parsing survives events split across chunks and CRLF line ends")
    func sseParsing() async throws {
        let stream =
            "id: 1\r\ndata: {\"source\":\"container\",\"line\":\"a\",\"ts\":\"t1\"}\r\n\r\n: comment\n\nid: 2\ndata: {\"source\":\"system\",\"line\":\"b\",\"ts\":\"t2\"}\n\n"
        let transport = SSETransport(chunks: stream.utf8.map { Data([$0]) })
        let client = RunPodClient(baseURL: testURL("https://x.test"), apiKey: APIKey(testKey), transport: transport)
        var lines: [RunPod.LogLine] = []
        for try await line in client.podLogs(id: "p") { lines.append(line) }
        #expect(lines == [RunPod.LogLine(source: "container", line: "a", ts: "t1"), RunPod.LogLine(source: "system", line: "b", ts: "t2")])
    }
}

/// Answers every request with an event stream delivered in the given chunks.
struct SSETransport: HTTPTransport {
    var chunks: [Data]
    func send(_ request: HTTPRequest) async throws -> HTTPResponse { HTTPResponse(status: 200, body: chunks.reduce(Data(), +)) }
    func stream(_ request: HTTPRequest) async throws -> (head: HTTPResponse, body: AsyncThrowingStream<Data, any Error>) {
        let chunks = chunks
        return (
            HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream")]),
            AsyncThrowingStream { c in
                for chunk in chunks { c.yield(chunk) }
                c.finish()
            }
        )
    }
}

/// First connection: one event, then the connection drops. Second: checks the cursor and sends the next event.
final class DroppingSSETransport: HTTPTransport {
    let calls = Mutex<[String?]>([])
    func send(_ request: HTTPRequest) async throws -> HTTPResponse { HTTPResponse(status: 500) }
    func stream(_ request: HTTPRequest) async throws -> (head: HTTPResponse, body: AsyncThrowingStream<Data, any Error>) {
        let call = calls.withLock { calls -> Int in
            calls.append(request.header("Last-Event-ID"))
            return calls.count
        }
        let head = HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream")])
        return (
            head,
            AsyncThrowingStream { c in
                if call == 1 {
                    c.yield(Data("id: 1\ndata: {\"source\":\"container\",\"line\":\"a\",\"ts\":\"t1\"}\n\n".utf8))
                    c.finish(throwing: TransportError(kind: .connectionLost, requestMayHaveBeenSent: true, message: "dropped"))
                } else {
                    c.yield(Data("id: 2\ndata: {\"source\":\"container\",\"line\":\"b\",\"ts\":\"t2\"}\n\n".utf8))
                    c.finish()
                }
            }
        )
    }
}

@Test("a dropped log stream resumes with Last-Event-ID: no line lost or repeated")
func logStreamResumes() async throws {
    let transport = DroppingSSETransport()
    let client = RunPodClient(
        baseURL: testURL("https://x.test"), apiKey: APIKey(testKey), transport: transport, retryPolicy: .exponential(jitter: false),
        clock: SkippingClock())
    var lines: [String] = []
    for try await line in client.podLogs(id: "p") { lines.append(line.line) }
    #expect(lines == ["a", "b"])
    #expect(transport.calls.withLock { $0 } == [nil, "1"])
}
