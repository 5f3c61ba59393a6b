import Foundation
import RunPodAPI
import Testing

@Suite("errors and malformed answers")
struct ErrorDecodingTests {
    @Test("problem+json fills the error's problem, status and message")
    func problemDecoded() async throws {
        let transport = ScriptedTransport([
            problem(
                400, "Bad Request", "There are no longer any instances available with the requested specifications. Please refresh and try again.")
        ])
        let error = try await #require(throws: RunPodAPIError.self) { try await makeClient(transport).createPod(sampleCreate) }
        #expect(error.kind == .http(status: 400))
        #expect(error.problem?.title == "Bad Request")
        #expect(error.problem?.detail?.hasPrefix("There are no longer any instances") == true)
        #expect(error.message.contains("400 Bad Request: There are no longer"))
        #expect(error.operation == "createPod")
    }

    @Test("422 carries RunPod's list of violations")
    func validationErrors() async throws {
        let body =
            #"{"title":"Unprocessable Entity","status":422,"detail":"Request validation failed.","errors":["$.gpu.count: must be >= 1","$: additional properties 'bogus' not allowed"]}"#
        let transport = ScriptedTransport([.respond(json(422, body))])
        let error = try await #require(throws: RunPodAPIError.self) { try await makeClient(transport).createPod(sampleCreate) }
        #expect(error.problem?.errors?.count == 2)
        #expect(error.message.contains("$.gpu.count: must be >= 1"))
    }

    @Test("an HTML error page is reported as such, not as a crash")
    func htmlErrorPage() async throws {
        let transport = ScriptedTransport([.respond(HTTPResponse(status: 404, body: Data("<html><body>Not here</body></html>".utf8)))])
        let error = try await #require(throws: RunPodAPIError.self) { try await makeClient(transport).getPod(id: "x") }
        #expect(error.status == 404)
        #expect(error.problem == nil)
        #expect(error.message.contains("HTML page"))
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var body: String
        var mentions: String
        var testDescription: String { mentions }
    }

    @Test(
        "a malformed success answer is malformedResponse naming what is wrong",
        arguments: [
            Malformed(body: "<!DOCTYPE html><html><title>502</title></html>", mentions: "HTML page"),
            Malformed(body: #"{"id":"pod_1","name":"x","sta"#, mentions: "cut short"),
            Malformed(body: "", mentions: "empty"),
            Malformed(body: #"{"id":"pod_1","name":"x"}"#, mentions: "`status` is missing"),
            Malformed(body: #"{"id":"pod_1","name":null,"status":"RUNNING"}"#, mentions: "`name` is null"),
            Malformed(body: #"{"id":"pod_1","name":"x","status":5}"#, mentions: "`status` is not a string"),
            Malformed(body: #"{"id":"pod_1","name":"x","status":"RUNNING","cost":"cheap"}"#, mentions: "`cost` is not a number"),
            Malformed(body: #"{"id":"pod_1","name":"x","status":"SLEEPING"}"#, mentions: "`status` has a value"),
            Malformed(
                body: #"{"id":"p","name":"x","status":"RUNNING","runtime":{"ports":[{"private":"8188"}]}}"#, mentions: "`runtime.ports[0].private`"),
        ])
    func malformedSuccess(_ sample: Malformed) async throws {
        let transport = ScriptedTransport([.respond(json(200, sample.body))])
        let error = try await #require(throws: RunPodAPIError.self) { try await makeClient(transport).getPod(id: "pod_1") }
        #expect(error.kind == .malformedResponse)
        #expect(error.message.contains(sample.mentions), "\(error.message)")
        #expect(transport.requests.count == 1, "a malformed answer is not retried")
    }

    @Test("a list missing its envelope names the field")
    func listEnvelope() async throws {
        let transport = ScriptedTransport([.respond(json(200, #"{"items":[]}"#))])
        let error = try await #require(throws: RunPodAPIError.self) { try await makeClient(transport).listPods() }
        #expect(error.message.contains("`pods` is missing"))
    }

    @Test("a 201 whose body is unreadable may still have created the pod")
    func unreadableCreateAnswer() async throws {
        let transport = ScriptedTransport([.respond(json(201, #"{"id":"pod_1","na"#))])
        let error = try await #require(throws: RunPodAPIError.self) { try await makeClient(transport).createPod(sampleCreate) }
        #expect(error.kind == .malformedResponse)
        #expect(error.mayHaveBeenApplied)
    }

    @Test("unknown fields in answers are ignored")
    func unknownFieldsIgnored() async throws {
        let body = podJSON.replacingOccurrences(of: #""cost":0.4"#, with: #""cost":0.4,"brandNewField":{"x":[1,2]}"#)
        let pod = try await makeClient(ScriptedTransport([.respond(json(200, body))])).getPod(id: "pod_1")
        #expect(pod.cost == 0.4)
        #expect(pod.runtime?.ports?.first?.private == 8188)
    }

    @Test("Retry-After accepts seconds and HTTP dates")
    func retryAfterForms() async throws {
        let seconds = ScriptedTransport([problem(503, "Service Unavailable", "busy", headers: [("Retry-After", "3")])])
        let e1 = try await #require(throws: RunPodAPIError.self) { try await makeClient(seconds, retry: .none).listPods() }
        #expect(e1.retryAfter == .seconds(3))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let date = formatter.string(from: Date().addingTimeInterval(120))
        let dated = ScriptedTransport([problem(503, "Service Unavailable", "busy", headers: [("Retry-After", date)])])
        let e2 = try await #require(throws: RunPodAPIError.self) { try await makeClient(dated, retry: .none).listPods() }
        let wait = try #require(e2.retryAfter)
        #expect(wait > .seconds(100) && wait <= .seconds(120))
    }
}
