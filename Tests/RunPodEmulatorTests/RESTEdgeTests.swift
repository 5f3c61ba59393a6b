import Foundation
import NIOHTTP1
import Testing

@testable import RunPodEmulator

@Suite("REST v2 edge: size limit, authentication before routing, problem+json for unrouted paths")
struct RESTEdgeTests {
    static let paths: [String] = [
        "/v2/pods", "/v2/account/ssh-keys", "/v2/templates/tpl_x", "/v2/clusters/c/pods", "/v2/billing/pods", "/v2/no-such-route", "/v2",
    ]

    @Test("a /v2 path without a key gets 401 problem+json, known or not", arguments: paths)
    func missingKey(path: String) async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.GET, path, auth: .none)
            #expect(answer.status == 401)
            #expect(answer.contentType == "application/problem+json")
            #expect(answer.detail == "missing bearer token")
        }
    }

    @Test("a /v2 path with a wrong key gets 401, not 404", arguments: paths)
    func wrongKey(path: String) async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.GET, path, auth: .key("rpa_WRONG"))
            #expect(answer.status == 401)
            #expect(answer.detail == "invalid bearer token")
        }
    }

    @Test("an unknown path gets a 404 problem document with rate-limit headers")
    func unknownPath() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.GET, "/v2/no-such-route")
            #expect(answer.status == 404)
            #expect(answer.contentType == "application/problem+json")
            #expect(answer.json["title"] == "Not Found")
            #expect(answer.headers.first(name: "RateLimit-Policy") != nil)
        }
    }

    @Test("a documented path asked with another method gets 405 with Allow")
    func wrongMethod() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.PUT, "/v2/pods/abc")
            #expect(answer.status == 405)
            #expect(answer.contentType == "application/problem+json")
            let allowed = Set((answer.headers.first(name: "Allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(allowed == ["GET", "PATCH", "DELETE"])
        }
    }

    @Test("a body above 102,400 bytes gets 413 before authentication; one at the limit is read")
    func sizeLimit() async throws {
        try await withEmulator { emulator in
            let over = String(repeating: "x", count: 102_401)
            let tooLarge = try await emulator.call(.POST, "/v2/pods", body: over, auth: .none)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.contentType == "application/problem+json")
            let atLimit = String(repeating: " ", count: 102_400 - 2) + "{}"
            let read = try await emulator.call(.POST, "/v2/pods", body: atLimit)
            #expect(read.status == 422)
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("a template that makes the deployment larger than 102,400 bytes gets 413")
    func deploymentSizeLimit() async throws {
        try await withEmulator { emulator in
            let env = String(repeating: "y", count: 60_000)
            let template = try await emulator.call(
                .POST, "/v2/templates", body: #"{"name":"big","image":"img","env":{"A":"\#(env)"}}"#)
            #expect(template.status == 201)
            let id = template.json["id"]?.stringValue ?? ""
            let body = #"{"name":"p","templateId":"\#(id)","gpu":{"id":"NVIDIA A40"},"env":{"B":"\#(env)"}}"#
            let answer = try await emulator.call(.POST, "/v2/pods", body: body)
            #expect(answer.status == 413)
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    static let gpuIDs = ["NVIDIA GeForce RTX 4090", "NVIDIA A100 80GB PCIe", "NVIDIA H100 80GB HBM3"]

    @Test("a GPU type ID is percent-decoded from the path", arguments: gpuIDs)
    func percentEncodedID(id: String) async throws {
        try await withEmulator { emulator in
            let encoded = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id
            #expect(encoded.contains("%20"))
            let answer = try await emulator.call(.GET, "/v2/catalog/gpus/\(encoded)")
            #expect(answer.status == 200)
            #expect(answer.json["id"]?.stringValue == id)
        }
    }

    @Test("REST v1, retired, answers 410 Gone")
    func restV1() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.GET, "/v1/pods")
            #expect(answer.status == 410)
            #expect(answer.contentType == "application/problem+json")
        }
    }
}
