import Foundation
import RunPodAPI
import TestSupport
import Testing

@Suite("retry policy")
struct RetryTests {
    @Test("a read is retried after 503 and succeeds")
    func readRetriedAfter503() async throws {
        let transport = ScriptedTransport([problem(503, "Service Unavailable", "busy"), .respond(json(200, podJSON))])
        let pod = try await makeClient(transport).getPod(id: "pod_1")
        #expect(pod.id == "pod_1")
        #expect(transport.requests.count == 2)
    }

    @Test("429 waits at least Retry-After before the next try")
    func retryAfterHonoured() async throws {
        let clock = SkippingClock()
        let transport = ScriptedTransport([
            problem(429, "Too Many Requests", "rate limit exceeded for the minute window", headers: [("Retry-After", "7")]),
            .respond(json(200, podJSON)),
        ])
        _ = try await makeClient(transport, clock: clock).getPod(id: "pod_1")
        #expect(clock.sleeps == [.seconds(7)])
    }

    @Test("retries stop at maxAttempts and the error lists every try")
    func boundedByCount() async throws {
        let transport = ScriptedTransport(Array(repeating: problem(502, "Bad Gateway", "upstream"), count: 10))
        let client = makeClient(transport, retry: .exponential(maxAttempts: 3, base: .milliseconds(100), jitter: false))
        let error = try await #require(throws: RunPodAPIError.self) { try await client.listPods() }
        #expect(transport.requests.count == 3)
        #expect(error.attempts.count == 3)
        #expect(error.status == 502)
        #expect(error.description.contains("try 3: 502 Bad Gateway"))
    }

    @Test("a Retry-After longer than the total budget ends the retries at once")
    func boundedByTotalTime() async throws {
        let transport = ScriptedTransport([problem(429, "Too Many Requests", "slow down", headers: [("Retry-After", "600")])])
        let error = try await #require(throws: RunPodAPIError.self) {
            try await makeClient(transport, retry: .exponential(maxTotal: .seconds(60))).listPods()
        }
        #expect(transport.requests.count == 1)
        #expect(error.retryAfter == .seconds(600))
    }

    @Test("connection errors and timeouts on reads are retried")
    func transportErrorsRetried() async throws {
        let transport = ScriptedTransport([
            .fail(TransportError(kind: .connect, requestMayHaveBeenSent: false, message: "refused")),
            .fail(TransportError(kind: .timeout, requestMayHaveBeenSent: true, message: "no answer within 30 s")),
            .respond(json(200, #"{"pods":[]}"#)),
        ])
        #expect(try await makeClient(transport).listPods().isEmpty)
        #expect(transport.requests.count == 3)
    }

    @Test("4xx other than 429 is not retried", arguments: [400, 401, 403, 404, 409, 422])
    func clientErrorsNotRetried(status: Int) async throws {
        let transport = ScriptedTransport([problem(status, "Error", "nope"), .respond(json(200, podJSON))])
        let error = try await #require(throws: RunPodAPIError.self) { try await makeClient(transport).getPod(id: "x") }
        #expect(error.status == status)
        #expect(transport.requests.count == 1)
    }

    @Test("createPod is sent once on 503: the launcher decides")
    func createNotRetried() async throws {
        let transport = ScriptedTransport([problem(503, "Service Unavailable", "busy"), .respond(json(201, podJSON))])
        let error = try await #require(throws: RunPodAPIError.self) { try await makeClient(transport).createPod(sampleCreate) }
        #expect(transport.requests.count == 1)
        #expect(error.status == 503)
        #expect(error.mayHaveBeenApplied == false)
    }

    @Test("a create whose connection dropped after sending may have been applied")
    func ambiguousCreate() async throws {
        let transport = ScriptedTransport([
            .fail(TransportError(kind: .connectionLost, requestMayHaveBeenSent: true, message: "the server closed the connection"))
        ])
        let error = try await #require(throws: RunPodAPIError.self) { try await makeClient(transport).createPod(sampleCreate) }
        #expect(error.mayHaveBeenApplied)
        #expect(error.kind == .transport)
        #expect(transport.requests.count == 1)
    }

    @Test("a create that could not connect was not applied")
    func createConnectFailure() async throws {
        let transport = ScriptedTransport([.fail(TransportError(kind: .connect, requestMayHaveBeenSent: false, message: "refused"))])
        let error = try await #require(throws: RunPodAPIError.self) { try await makeClient(transport).createPod(sampleCreate) }
        #expect(!error.mayHaveBeenApplied)
    }

    @Test("backoff doubles from base and stops at cap")
    func backoffShape() {
        let policy = RetryPolicy.exponential(maxAttempts: 10, base: .seconds(1), cap: .seconds(5), maxTotal: .seconds(100), jitter: false)
        #expect((1...5).map { policy.backoff(beforeRetry: $0) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        #expect(RetryPolicy.none.delay(beforeRetry: 1, retryAfter: nil, elapsed: .zero) == nil)
    }

    @Test("jitter keeps each delay between half and all of the backoff")
    func jitterBounds() {
        let policy = RetryPolicy.exponential(maxAttempts: 10, base: .seconds(2), cap: .seconds(60), jitter: true)
        for _ in 0..<50 {
            let delay = policy.backoff(beforeRetry: 2)
            #expect(delay >= .seconds(2) && delay <= .seconds(4))
        }
    }

    @Test("cancellation stops a retry loop")
    func cancellationStops() async throws {
        let transport = ScriptedTransport(
            [.respondAndCancelCaller(json(503, #"{"title":"Service Unavailable","status":503,"detail":"busy"}"#))]
                + Array(repeating: problem(503, "Service Unavailable", "busy"), count: 100))
        let client = RunPodClient(
            baseURL: URL(string: "https://api.example.test")!, apiKey: APIKey(testKey), transport: transport,
            retryPolicy: .exponential(maxAttempts: 100, base: .seconds(10), cap: .seconds(10), maxTotal: .seconds(10_000)))
        // A 10 s backoff on the real clock: only cancellation can end this test quickly.
        await #expect(throws: CancellationError.self) { try await client.listPods() }
        #expect(transport.requests.count == 1)
    }
}

let sampleCreate = RunPod.CreatePodRequest(
    name: "p", image: "img", gpu: .init(id: "NVIDIA A40", count: 1), cloud: .secure, dataCenterIds: ["EU-RO-1"],
    mounts: .init(network: [.init(volumeId: "vol1", path: "/workspace")]), ports: ["8188/http"], env: ["A": "1"], disk: 50)
