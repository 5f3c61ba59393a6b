import Foundation
import Testing

@testable import RunPodEmulator

@Suite("REST v2 authentication and rate limits")
struct RESTAuthTests {
    @Test("a request without a bearer token gets RunPod's 401 problem")
    func missingToken() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.GET, "/v2/pods", auth: .none)
            #expect(answer.status == 401)
            #expect(answer.contentType == "application/problem+json")
            #expect(answer.json == .object(["title": "Unauthorized", "status": 401, "detail": "missing bearer token"]))
        }
    }

    @Test("a request with an unknown key gets 401 and no rate-limit headers")
    func wrongKey() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.GET, "/v2/pods", auth: .key("rpa_WRONG"))
            #expect(answer.status == 401)
            #expect(answer.detail == "invalid bearer token")
            #expect(answer.headers.first(name: "RateLimit") == nil)
        }
    }

    @Test("every authenticated answer carries RateLimit and RateLimit-Policy as structured fields")
    func rateLimitHeaders() async throws {
        try await withEmulator { emulator in
            for path in ["/v2/pods", "/v2/pods/nope"] {
                let answer = try await emulator.call(.GET, path)
                let policy = try #require(answer.headers.first(name: "RateLimit-Policy"))
                #expect(policy.hasPrefix("\"minute\";q=") && policy.hasSuffix(";w=60"))
                let limit = try #require(answer.headers.first(name: "RateLimit"))
                #expect(limit.contains("\"minute\";r=") && limit.contains(";t="))
            }
        }
    }

    @Test("past the per-key quota a request gets 429 with Retry-After and r=0")
    func quotaExceeded() async throws {
        var scenario = Scenario.default
        scenario.rateLimitPerMinute = 2
        try await withEmulator(EmulatorOptions(port: 0, scenario: scenario, timeScale: 0.001)) { emulator in
            #expect(try await emulator.call(.GET, "/v2/pods").status == 200)
            #expect(try await emulator.call(.GET, "/v2/pods").status == 200)
            let limited = try await emulator.call(.GET, "/v2/pods")
            #expect(limited.status == 429)
            #expect(limited.contentType == "application/problem+json")
            #expect(Int(limited.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
            #expect(limited.headers.first(name: "RateLimit")?.hasPrefix("\"minute\";r=0;") == true)
            #expect(limited.headers.first(name: "RateLimit-Policy") == "\"minute\";q=2;w=60")
        }
    }

    @Test("a read-only key may read but gets 403 on create")
    func readOnlyKey() async throws {
        var scenario = Scenario.default
        scenario.apiKeys = [APIKeySpec(key: "rpa_READONLY", readOnly: true)]
        try await withEmulator(EmulatorOptions(port: 0, scenario: scenario, timeScale: 0.001)) { emulator in
            #expect(try await emulator.call(.GET, "/v2/pods", auth: .key("rpa_READONLY")).status == 200)
            let create = try await emulator.call(.POST, "/v2/pods", body: launcherCreateBody(), auth: .key("rpa_READONLY"))
            #expect(create.status == 403)
            #expect(create.json["title"] == "Forbidden")
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("a key without access to a GPU pool gets 403 for that GPU only")
    func forbiddenPool() async throws {
        var scenario = Scenario.default
        scenario.apiKeys = [APIKeySpec(key: "rpa_NOH100", forbiddenGpuTypeIds: ["NVIDIA H100 80GB HBM3"])]
        try await withEmulator(EmulatorOptions(port: 0, scenario: scenario, timeScale: 0.001)) { emulator in
            let h100 = try await emulator.call(.POST, "/v2/pods", body: launcherCreateBody(gpu: "NVIDIA H100 80GB HBM3"), auth: .key("rpa_NOH100"))
            #expect(h100.status == 403)
            let rtx = try await emulator.call(.POST, "/v2/pods", body: launcherCreateBody(), auth: .key("rpa_NOH100"))
            #expect(rtx.status == 201)
        }
    }
}
