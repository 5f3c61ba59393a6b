import Foundation
import Testing

@testable import PodService

/// Flower's `GET /api/queues/length` (flower/api/tasks.py, `GetQueueLengths`).
private let flowerAnswer = #"{"active_queues": [{"name": "celery", "messages": 7}, {"name": "video", "messages": 5}]}"#

/// Reads once through the factory, as the autoscaler will.
private func read(_ spec: DemandSourceSpec) async throws -> Int {
    guard let source = spec.makeSource() else { throw DemandTestError("\(spec) has no reader") }
    return try await source.backlog()
}

/// The `DemandSourceError` a read fails with (nil when it does not fail, or fails otherwise).
private func failure(_ spec: DemandSourceSpec) async -> DemandSourceError? {
    do {
        _ = try await read(spec)
        return nil
    } catch {
        return error as? DemandSourceError
    }
}

/// A Prometheus answer with `result` of `resultType`.
private func prometheus(_ resultType: String, _ result: String) -> CannedAnswer {
    CannedAnswer(body: #"{"status": "success", "data": {"resultType": "\#(resultType)", "result": \#(result)}}"#)
}

@Suite("Demand sources over HTTP (http-json, prometheus), against a real HTTP server")
struct DemandHTTPSourceTests {
    @Test("http-json reads Flower's queue length by queue name, sending the URL's userinfo as basic auth")
    func flower() async throws {
        try await withCannedServer(["/api/queues/length": CannedAnswer(body: flowerAnswer)]) { base, seen throws in
            let url = base.replacingOccurrences(of: "http://", with: "http://admin:s3cret@") + "/api/queues/length"
            let spec = try DemandSourceSpec(.httpJSON(url: url, path: "active_queues[name=video].messages"))
            #expect(try await read(spec) == 5)
            #expect(seen().map(\.authorization) == ["Basic " + Data("admin:s3cret".utf8).base64EncodedString()])
        }
    }

    @Test(
        "http-json reads a number (or a numeric string) at a dotted or bracket path, rounding a fraction up",
        arguments: [
            ("queues.celery", #"{"queues": {"celery": 12}}"#, 12),
            ("$.data[0].value", #"{"data": [{"value": "3"}]}"#, 3),
            ("$.data[1].value", #"{"data": [{"value": 1}, {"value": 2.2}]}"#, 3),
            ("$", "0", 0),
        ])
    func numbers(path: String, body: String, expected: Int) async throws {
        try await withCannedServer(["/metric": CannedAnswer(body: body)]) { base, _ throws in
            #expect(try await read(try DemandSourceSpec(.httpJSON(url: base + "/metric", path: path))) == expected)
        }
    }

    @Test(
        "http-json fails with badAnswer when the path does not lead to one non-negative number",
        arguments: [
            (#"{"queues": {"celery": "lots"}}"#, "is the string \"lots\", not a number"),
            (#"{"queues": {"celery": true}}"#, "is a boolean, not a number"),
            (#"{"queues": {"celery": {"n": 1}}}"#, "is an object, not a number"),
            (#"{"queues": {"video": 1}}"#, "does not match the answer: $.queues has no key 'celery' (its keys: video)"),
            (#"{"queues": {"celery": -2}}"#, "a backlog cannot be negative"),
            ("<html>busy</html>", "the answer is not JSON: <html>busy</html>"),
        ])
    func notANumber(body: String, message: String) async throws {
        try await withCannedServer(["/metric": CannedAnswer(body: body)]) { base, _ throws in
            let error = await failure(try DemandSourceSpec(.httpJSON(url: base + "/metric", path: "queues.celery")))
            #expect(error?.code == .badAnswer)
            #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        }
    }

    @Test("http-json: HTTP 401 is an authentication failure, 500 a query failure quoting the body")
    func statuses() async throws {
        let answers = ["/locked": CannedAnswer(status: 401, body: "Unauthorized"), "/broken": CannedAnswer(status: 500, body: "worker lost")]
        try await withCannedServer(answers) { base, _ throws in
            let locked = await failure(try DemandSourceSpec(.httpJSON(url: base + "/locked", path: "n")))
            #expect(locked?.code == .authenticationFailed)
            let broken = await failure(try DemandSourceSpec(.httpJSON(url: base + "/broken", path: "n")))
            #expect(broken?.code == .queryFailed)
            #expect(broken?.message == "the server answered HTTP 500: worker lost")
        }
    }

    @Test("prometheus reads a scalar and a one-sample vector, sending the query percent-encoded")
    func prometheusValues() async throws {
        let answers = [
            "query:scalar(sum(celery_queue_length))": prometheus("scalar", #"[1712345678.1, "9"]"#),
            "query:sum(a) + sum(b{q=\"x&y\"})": prometheus("vector", #"[{"metric": {}, "value": [1712345678.1, "4"]}]"#),
        ]
        try await withCannedServer(answers) { base, seen throws in
            #expect(try await read(try DemandSourceSpec(.prometheus(url: base, query: "scalar(sum(celery_queue_length))"))) == 9)
            #expect(try await read(try DemandSourceSpec(.prometheus(url: base + "/", query: "sum(a) + sum(b{q=\"x&y\"})"))) == 4)
            #expect(seen().map(\.path) == ["/api/v1/query", "/api/v1/query"])
            #expect(seen().last?.query == "sum(a) + sum(b{q=\"x&y\"})")
        }
    }

    @Test(
        "prometheus refuses a matrix, several or no samples, a string, NaN and an error status",
        arguments: [
            (
                prometheus("matrix", #"[{"metric": {}, "values": [[1, "1"], [2, "2"]]}]"#), DemandSourceError.Code.badAnswer,
                "the query returned a matrix, not a scalar or a one-sample vector"
            ),
            (
                prometheus("vector", #"[{"metric": {"q": "a"}, "value": [1, "1"]}, {"metric": {"q": "b"}, "value": [1, "2"]}]"#), .badAnswer,
                "returned 2 samples, not one; aggregate them"
            ),
            (prometheus("vector", "[]"), .badAnswer, "returned 0 samples, not one; if no series means no backlog, append `or vector(0)`"),
            (prometheus("string", #"[1, "hello"]"#), .badAnswer, "returned a string"),
            (prometheus("scalar", #"[1, "NaN"]"#), .badAnswer, "is nan, not a finite number"),
            (
                CannedAnswer(status: 400, body: #"{"status": "error", "errorType": "bad_data", "error": "parse error at char 4"}"#), .queryFailed,
                "the query failed (bad_data), HTTP 400: parse error at char 4"
            ),
            (CannedAnswer(status: 502, body: "Bad Gateway"), .queryFailed, "the server answered HTTP 502: Bad Gateway"),
        ])
    func prometheusRefuses(answer: CannedAnswer, code: DemandSourceError.Code, message: String) async throws {
        try await withCannedServer(["query:q": answer]) { base, _ throws in
            let error = await failure(try DemandSourceSpec(.prometheus(url: base, query: "q")))
            #expect(error?.code == code)
            #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        }
    }
}

/// The failures every kind shares: nothing listening, nothing answering.
@Suite("Demand sources fail fast and bounded")
struct DemandSourceFailureTests {
    static func specs(port: Int, timeout: Duration) throws -> [DemandSourceSpec] {
        [
            try DemandSourceSpec(.httpJSON(url: "http://127.0.0.1:\(port)/api/queues/length", path: "n"), timeout: timeout),
            try DemandSourceSpec(.prometheus(url: "http://127.0.0.1:\(port)", query: "up"), timeout: timeout),
            try DemandSourceSpec(.redis(url: "redis://127.0.0.1:\(port)/0", queue: "celery"), timeout: timeout),
            try DemandSourceSpec(.postgres(url: "postgres://reader@127.0.0.1:\(port)/jobs?sslmode=disable", query: "SELECT 1"), timeout: timeout),
        ]
    }

    @Test("a refused connection fails at once as connectionFailed, for every kind")
    func refused() async throws {
        let port = try await closedPort()
        // A timeout far above what a refused connection takes even on a loaded machine: failing "at once" is
        // failing well before it (a wall-clock bound with room for a busy CI, not a timing measurement).
        for spec in try Self.specs(port: port, timeout: .seconds(60)) {
            let started = ContinuousClock.now
            let error = await failure(spec)
            #expect(error?.code == .connectionFailed, "\(spec): \(String(describing: error))")
            #expect(ContinuousClock.now - started < .seconds(30), "\(spec) took as long as its timeout")
        }
    }

    @Test("a server that accepts and never answers times out within the source's timeout, for every kind")
    func silent() async throws {
        try await withSilentServer { port in
            for spec in try Self.specs(port: port, timeout: .milliseconds(300)) {
                let started = ContinuousClock.now
                let error = await failure(spec)
                #expect(error?.code == .timedOut, "\(spec): \(String(describing: error))")
                #expect(error?.message.contains("no answer within 0.3 s") == true || error?.message.contains("within 0.3 s") == true)
                #expect(ContinuousClock.now - started < .seconds(30))  // Bounded (the message names the 0.3 s used), never hung.
            }
        }
    }

    @Test("no failure message holds a password or token from the URL")
    func secretsNeverShown() async throws {
        let canaries = ["pw-CANARY-1", "tok-CANARY-2"]
        var errors: [DemandSourceError] = []
        let port = try await closedPort()
        for url in ["http://worker:pw-CANARY-1@127.0.0.1:\(port)/x?token=tok-CANARY-2", "https://tok-CANARY-2@127.0.0.1:\(port)/x"] {
            if let error = await failure(try DemandSourceSpec(.httpJSON(url: url, path: "n"))) { errors.append(error) }
            if let error = await failure(try DemandSourceSpec(.prometheus(url: url, query: "up"))) { errors.append(error) }
        }
        if let error = await failure(try DemandSourceSpec(.redis(url: "redis://:pw-CANARY-1@127.0.0.1:\(port)/0", queue: "q"))) {
            errors.append(error)
        }
        if let error = await failure(try DemandSourceSpec(.postgres(url: "postgres://reader:pw-CANARY-1@127.0.0.1:\(port)/jobs", query: "SELECT 1")))
        {
            errors.append(error)
        }
        let answers = [
            "/x": CannedAnswer(status: 401, body: "no"), "/y": CannedAnswer(body: #"{"n": "lots"}"#),
            "query:up": CannedAnswer(status: 400, body: #"{"status": "error", "error": "bad"}"#),
        ]
        try await withCannedServer(answers) { base, _ throws in
            let authority = base.replacingOccurrences(of: "http://", with: "http://worker:pw-CANARY-1@")
            for path in ["/x", "/y"] {
                if let error = await failure(try DemandSourceSpec(.httpJSON(url: authority + path + "?token=tok-CANARY-2", path: "n"))) {
                    errors.append(error)
                }
            }
            if let error = await failure(try DemandSourceSpec(.prometheus(url: authority, query: "up"))) { errors.append(error) }
        }
        try await withSilentServer { port in
            let spec = try DemandSourceSpec(.redis(url: "redis://:pw-CANARY-1@127.0.0.1:\(port)", queue: "q"), timeout: .milliseconds(200))
            if let error = await failure(spec) { errors.append(error) }
            let postgres = try DemandSourceSpec(
                .postgres(url: "postgres://reader:pw-CANARY-1@127.0.0.1:\(port)/jobs?sslmode=disable", query: "SELECT 1"), timeout: .milliseconds(200)
            )
            if let error = await failure(postgres) { errors.append(error) }
        }
        #expect(errors.count == 11)
        for error in errors {
            for canary in canaries {
                #expect(!error.description.contains(canary), "\(error)")
                #expect(!String(describing: error).contains(canary))
            }
        }
    }
}
