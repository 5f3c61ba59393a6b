import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Testing

@testable import PodService

@Suite("problem details (RFC 9457)")
struct ProblemTests {
    /// The body of `problem.response()` as a JSON object.
    func body(of problem: Problem) throws -> [String: Any] {
        let data = problem.body()
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("every problem answer is application/problem+json with type, title and status in the body")
    func contentTypeAndMembers() throws {
        let problems: [Problem] = [
            .validation([.pointer("#/gpuCount", "must be an integer ≥ 1 (got 0)")]), .badRequest("The body is not valid JSON."), .unauthorized(),
            .notFound(launchID: "nope"), .methodNotAllowed(.patch, allowed: [.get, .delete]), .notAcceptable("application/json"),
            .idempotencyConflict(key: "job-1", launchID: "0f3c9a5e7b2d4c6e8a1b3d5f7e9c0a2b"),
            .eventGone("Event 12 is older than the oldest kept (1040)."),
            .payloadTooLarge(), .unsupportedMediaType("text/plain"), .internal(), .unavailable(),
        ]
        #expect(problems.map(\.status.code) == [422, 400, 401, 404, 405, 406, 409, 410, 413, 415, 500, 503])
        for problem in problems {
            let response = problem.response()
            #expect(response.status == problem.status)
            #expect(response.headers[.contentType] == "application/problem+json")
            let json = try body(of: problem)
            #expect(json["status"] as? Int == problem.status.code)
            #expect((json["title"] as? String)?.isEmpty == false)
            #expect(json["type"] as? String == problem.type)
            #expect(json["errors"] == nil || problem.status == .unprocessableContent)
        }
    }

    @Test("the specific problems carry the service's URNs; the rest are about:blank")
    func types() {
        #expect(Problem.validation([]).type == "urn:runpod-launcher:problem:validation")
        #expect(Problem.idempotencyConflict(key: "k", launchID: "l").type == "urn:runpod-launcher:problem:idempotency-conflict")
        #expect(Problem.eventGone("gone").type == "urn:runpod-launcher:problem:event-gone")
        #expect(Problem.notFound(launchID: "x").type == "about:blank")
        #expect(Problem.unavailable().title == "Service Unavailable")
    }

    @Test("a 401 challenges for a bearer token in the runpod-launcher realm")
    func unauthorizedChallenge() {
        #expect(Problem.unauthorized().response().headers[.wwwAuthenticate] == #"Bearer realm="runpod-launcher""#)
        // Also when built by hand rather than by the constructor.
        #expect(Problem(status: .unauthorized).response().headers[.wwwAuthenticate] == #"Bearer realm="runpod-launcher""#)
        #expect(Problem.notFound(launchID: "x").response().headers[.wwwAuthenticate] == nil)
    }

    @Test("a 405 lists the allowed methods in Allow; a 503 can say when to retry")
    func allowAndRetryAfter() {
        #expect(Problem.methodNotAllowed(.put, allowed: [.get, .delete]).response().headers[.allow] == "GET, DELETE")
        #expect(Problem.unavailable("Starting.", retryAfter: 5).response().headers[.retryAfter] == "5")
    }

    @Test("a validation problem lists every error with exactly one place and counts them in detail")
    func validationErrors() throws {
        let problem = Problem.validation([
            .pointer("#/gpus/1", "must be a string (got 5)"), .parameter("limit", "must be at most 1000"), .header("Idempotency-Key", "is empty"),
        ])
        let json = try body(of: problem)
        #expect(json["detail"] as? String == "3 errors in the request.")
        let errors = try #require(json["errors"] as? [[String: String]])
        #expect(
            errors == [
                ["pointer": "#/gpus/1", "detail": "must be a string (got 5)"], ["parameter": "limit", "detail": "must be at most 1000"],
                ["header": "Idempotency-Key", "detail": "is empty"],
            ])
        #expect(try body(of: .validation([.pointer("#", "x")]))["detail"] as? String == "1 error in the request body.")
    }

    @Test("a problem reads back as it was written; a field error with two places, or none, does not")
    func roundTrip() throws {
        let problem = Problem.validation([.pointer("#/env/A~1B", "bad"), .parameter("state", "unknown state 'x'")])
        let decoded = try JSONDecoder().decode(Problem.self, from: problem.body())
        #expect(decoded.type == problem.type)
        #expect(decoded.status == problem.status)
        #expect(decoded.detail == problem.detail)
        #expect(decoded.errors == problem.errors)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Problem.FieldError.self, from: Data(##"{"detail":"x","pointer":"#","header":"h"}"##.utf8))
        }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Problem.FieldError.self, from: Data(#"{"detail":"x"}"#.utf8)) }
    }

    @Test("a 500 says nothing of the error behind it; echoed request text is cut short")
    func noLeaks() throws {
        let detail = try #require(Problem.internal(reference: "r-42").detail)
        #expect(detail.contains("r-42"))
        #expect(detail == "The service failed to answer this request; the service's log has the details under reference r-42.")
        let long = String(repeating: "k", count: 5000)
        let conflict = try #require(Problem.idempotencyConflict(key: long, launchID: "l").detail)
        #expect(conflict.count < 300)
    }

    @Test("a Problem thrown from a Hummingbird route is sent as that problem", .timeLimit(.minutes(1)))
    func thrownFromRoute() async throws {
        let router = Router()
        router.get("/secret") { _, _ -> String in throw Problem.unauthorized() }
        router.get("/gone") { _, _ -> String in throw Problem.eventGone("Event 12 is older than the oldest kept (1040).") }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let logger = Logger(label: "ProblemTests", factory: { _ in SwiftLogNoOpLogHandler() })
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let server = Task { try await group.run() }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())

        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let unauthorized = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/secret"), timeout: .seconds(10))
            #expect(unauthorized.status.code == 401)
            #expect(unauthorized.headers.first(name: "Content-Type") == "application/problem+json")
            #expect(unauthorized.headers.first(name: "WWW-Authenticate") == #"Bearer realm="runpod-launcher""#)
            let body = try await unauthorized.body.collect(upTo: 1 << 16)
            let problem = try JSONDecoder().decode(Problem.self, from: Data(body.readableBytesView))
            #expect(problem.status == .unauthorized)
            #expect(problem.type == "about:blank")

            let gone = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/gone"), timeout: .seconds(10))
            #expect(gone.status.code == 410)
            let goneProblem = try JSONDecoder().decode(Problem.self, from: Data(try await gone.body.collect(upTo: 1 << 16).readableBytesView))
            #expect(goneProblem.type == Problem.eventGoneType)
            #expect(goneProblem.detail == "Event 12 is older than the oldest kept (1040).")
        } catch {
            try await client.shutdown()
            await group.triggerGracefulShutdown()
            throw error
        }
        try await client.shutdown()
        await group.triggerGracefulShutdown()
        try await server.value
    }
}
