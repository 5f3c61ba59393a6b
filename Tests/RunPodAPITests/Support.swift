import Foundation
import RunPodAPI
import Synchronization
import TestSupport

/// A transport that answers from a script, one entry per request, and records every request.
final class ScriptedTransport: HTTPTransport {
    enum Step: Sendable {
        case respond(HTTPResponse)
        case fail(TransportError)
        /// Answers, and cancels the calling task (as SIGINT would, mid-request).
        case respondAndCancelCaller(HTTPResponse)
    }

    private let steps: Mutex<[Step]>
    private let recorded = Mutex<[HTTPRequest]>([])

    init(_ steps: [Step]) { self.steps = Mutex(steps) }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Task.checkCancellation()
        recorded.withLock { $0.append(request) }
        let step = steps.withLock { steps -> Step? in steps.isEmpty ? nil : steps.removeFirst() }
        switch step {
        case .respond(let response)?: return response
        case .fail(let error)?: throw error
        case .respondAndCancelCaller(let response)?:
            withUnsafeCurrentTask { $0?.cancel() }
            return response
        case nil: return json(500, #"{"title":"script ran out","status":500,"detail":"no more scripted answers"}"#)
        }
    }

    var requests: [HTTPRequest] { recorded.withLock { $0 } }
}

func json(_ status: Int, _ body: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
    let type = status >= 400 ? "application/problem+json" : "application/json"
    return HTTPResponse(status: status, headers: [("Content-Type", type)] + headers, body: Data(body.utf8))
}

func problem(_ status: Int, _ title: String, _ detail: String, headers: [(name: String, value: String)] = []) -> ScriptedTransport.Step {
    .respond(json(status, #"{"title":"\#(title)","status":\#(status),"detail":"\#(detail)"}"#, headers: headers))
}

let testKey = "rpa_TESTSECRET_0123456789abcdefXYZ"

func makeClient(_ transport: ScriptedTransport, clock: SkippingClock = SkippingClock(), retry: RetryPolicy = .exponential(jitter: false))
    -> RunPodClient
{
    RunPodClient(
        baseURL: testURL("https://api.example.test"), apiKey: APIKey(testKey), transport: transport, retryPolicy: retry, clock: clock)
}

let podJSON = #"""
    {"id":"pod_1","name":"comfyui-brisk-otter-7f3a","status":"RUNNING","actions":["stop","terminate"],"image":"img","ports":["8188/http"],
     "env":{"A":"1"},"mounts":{"network":[{"volumeId":"vol1","path":"/workspace"}]},"gpu":{"id":"NVIDIA A40","count":1},"cloud":"SECURE",
     "dataCenterId":"EU-RO-1","cost":0.4,"runtime":{"uptime":3,"ports":[{"private":8188,"public":null,"type":"http","ip":null}]},
     "ssh":{"proxy":null,"direct":null},"createdAt":"2026-01-01T00:00:00Z","startedAt":null}
    """#
