import AsyncHTTPClient
import Foundation
import Testing

@testable import RunPodEmulator

@Suite("Fault injection")
struct FaultInjectionTests {
    @Test("a server error answers the status with an HTML body, only for the next N matching requests")
    func serverError() async throws {
        try await withEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "listPods", kind: .serverError(status: 503), times: 2)])
            #expect(try await emulator.call(.GET, "/v2/network-volumes").status == 200, "other operations are untouched")
            for _ in 0..<2 {
                let answer = try await emulator.call(.GET, "/v2/pods")
                #expect(answer.status == 503)
                #expect(answer.contentType.hasPrefix("text/html"))
                #expect(answer.text.contains("<title>503 Service Unavailable</title>"))
            }
            #expect(try await emulator.call(.GET, "/v2/pods").status == 200)
            #expect(await emulator.faults().isEmpty)
        }
    }

    @Test("a 429 burst carries Retry-After")
    func rateLimitedBurst() async throws {
        try await withEmulator { emulator in
            await emulator.setFaults([FaultRule(kind: .rateLimited(retryAfterSeconds: 7), times: 3)])
            for _ in 0..<3 {
                let answer = try await emulator.call(.GET, "/v2/pods")
                #expect(answer.status == 429)
                #expect(answer.headers.first(name: "Retry-After") == "7")
                #expect(answer.contentType == "application/problem+json")
            }
            #expect(try await emulator.call(.GET, "/v2/pods").status == 200)
        }
    }

    @Test("latency delays the answer and then handles the request")
    func latency() async throws {
        try await withEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "getNetworkVolume", kind: .latency(milliseconds: 150))])
            let start = ContinuousClock.now
            let answer = try await emulator.call(.GET, "/v2/network-volumes/rp-vol-comfyui01")
            #expect(ContinuousClock.now - start >= .milliseconds(150))
            #expect(answer.status == 200)
        }
    }

    @Test("a dropped connection after a create leaves the client without an answer but the pod created")
    func dropAfterApply() async throws {
        try await withEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "createPod", kind: .dropConnectionAfterApply, times: 1)])
            await #expect(throws: (any Error).self) {
                _ = try await emulator.call(.POST, "/v2/pods", body: launcherCreateBody(name: "ambiguous"))
            }
            let state = await emulator.state()
            #expect(state.pods.count == 1)
            #expect(state.pods.first?.name == "ambiguous")
            #expect(state.pods.first?.alive == true)
            let list = try await emulator.call(.GET, "/v2/pods")
            #expect(list.json["pods"]?.arrayValue?.first?["name"] == "ambiguous")
        }
    }

    @Test("malformed JSON keeps the status but the body does not parse")
    func malformedJSON() async throws {
        try await withEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "createPod", kind: .malformedJSON, times: 1)])
            let answer = try await emulator.call(.POST, "/v2/pods", body: launcherCreateBody())
            #expect(answer.status == 201)
            #expect(JSONValue.parse(answer.body) == nil)
            #expect(await emulator.state().pods.count == 1, "the create was applied")
        }
    }

    @Test("truncated JSON is the first half of the real answer")
    func truncatedJSON() async throws {
        try await withEmulator { emulator in
            let whole = try await emulator.call(.GET, "/v2/network-volumes")
            await emulator.setFaults([FaultRule(operation: "listNetworkVolumes", kind: .truncatedJSON)])
            let cut = try await emulator.call(.GET, "/v2/network-volumes")
            #expect(cut.status == 200)
            #expect(JSONValue.parse(cut.body) == nil)
            #expect(cut.body == whole.body.prefix(whole.body.count / 2))
        }
    }

    @Test("a probability of 1 always fires and 0 never does")
    func probability() async throws {
        try await withEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "listPods", kind: .serverError(status: 500), probability: 0)])
            let never = try await emulator.call(.GET, "/v2/pods")
            #expect(never.status == 200)
            await emulator.setFaults([FaultRule(operation: "listPods", kind: .serverError(status: 500), probability: 1)])
            let always = try await emulator.call(.GET, "/v2/pods")
            #expect(always.status == 500)
        }
    }

    @Test("a probability fires on a repeatable share of requests")
    func probabilityShare() async throws {
        func statuses() async throws -> [Int] {
            try await withEmulator { emulator in
                await emulator.setFaults([FaultRule(kind: .serverError(status: 502), probability: 0.3)])
                var statuses: [Int] = []
                for _ in 0..<60 { statuses.append(try await emulator.call(.GET, "/v2/pods").status) }
                return statuses
            }
        }
        let first = try await statuses()
        let failures = first.filter { $0 == 502 }.count
        #expect((8...30).contains(failures))
        #expect(try await statuses() == first, "the seeded generator repeats the same pattern")
    }

    @Test("POST /_emulator/faults replaces the rules with a JSON array")
    func faultsEndpoint() async throws {
        try await withEmulator { emulator in
            let body = #"[{"operation":"getPod","kind":"serverError","status":504,"times":1},{"kind":"latency","milliseconds":1}]"#
            let set = try await emulator.call(.POST, "/_emulator/faults", body: body, auth: .none)
            #expect(set.status == 200)
            #expect(await emulator.faults().count == 2)
            #expect(try await emulator.call(.GET, "/v2/pods/anything").status == 504)
            let bad = try await emulator.call(.POST, "/_emulator/faults", body: #"[{"kind":"explode"}]"#, auth: .none)
            #expect(bad.status == 422)
            #expect(await emulator.faults().count == 1, "a rejected body leaves the rules alone")
        }
    }

    @Test("faults apply to GraphQL as operation graphql")
    func graphQLFaults() async throws {
        try await withEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "graphql", kind: .serverError(status: 502), times: 1)])
            let answer = try await emulator.call(.POST, "/graphql", body: #"{"query":"query { myself { id } }"}"#)
            #expect(answer.status == 502)
            #expect(answer.contentType.hasPrefix("text/html"))
        }
    }
}
