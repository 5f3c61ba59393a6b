import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

@testable import RunPodEmulator

/// One REST answer: status, headers and body (parsed as JSON when it is JSON).
struct RESTAnswer {
    let status: Int
    let headers: HTTPHeaders
    let body: Data

    var json: JSONValue { JSONValue.parse(body) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
    var contentType: String { headers.first(name: "Content-Type") ?? "" }
    var detail: String? { json["detail"]?.stringValue }
    var errors: [String] { json["errors"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
}

/// How a REST test authenticates.
enum RESTAuth {
    case emulatorKey
    case key(String)
    case none
}

/// The body the launcher sends for its defaults: the default volume, a 4090, ComfyUI's port.
func launcherCreateBody(
    name: String = "comfy", gpu: String = "NVIDIA GeForce RTX 4090", count: Int = 1, volume: String? = "rp-vol-comfyui01",
    cloud: String? = nil, dataCenters: [String]? = nil
) -> String {
    var object: [String: JSONValue] = [
        "name": .string(name), "image": .string("bilunsun/comfyuiprod:pod-test-0"),
        "gpu": .object(["id": .string(gpu), "count": .int(count)]), "ports": .array([.string("8188/http"), .string("22/tcp")]),
        "env": .object(["COMFY_MODE": .string("api")]),
    ]
    if let volume { object["mounts"] = .object(["network": .array([.object(["volumeId": .string(volume), "path": .string("/workspace")])])]) }
    if let cloud { object["cloud"] = .string(cloud) }
    if let dataCenters { object["dataCenterIds"] = .array(dataCenters.map(JSONValue.string)) }
    return String(decoding: (try? JSONEncoder().encode(JSONValue.object(object))) ?? Data(), as: UTF8.self)
}

extension RunningEmulator {
    /// Sends one request to the emulator with the given key and returns the whole answer.
    func call(
        _ method: HTTPMethod, _ path: String, body: String? = nil, auth: RESTAuth = .emulatorKey, headers: [(String, String)] = []
    ) async throws -> RESTAnswer {
        var request = HTTPClientRequest(url: baseURL.absoluteString + path)
        request.method = method
        switch auth {
        case .emulatorKey: request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        case .key(let key): request.headers.add(name: "Authorization", value: "Bearer \(key)")
        case .none: break
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 8 << 20)
        return RESTAnswer(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
    }

    /// Creates a pod with the launcher's body and returns its id (fails the test's expectations through the caller).
    func createPod(_ body: String = launcherCreateBody()) async throws -> (answer: RESTAnswer, id: String) {
        let answer = try await call(.POST, "/v2/pods", body: body)
        return (answer, answer.json["id"]?.stringValue ?? "")
    }

    /// `GET /v2/pods/{id}`'s JSON.
    func getPod(_ id: String) async throws -> RESTAnswer { try await call(.GET, "/v2/pods/\(id)") }

    /// A GET through the app proxy.
    func proxyGet(podID: String, port: Int = 8188, path: String = "/system_stats") async throws -> RESTAnswer {
        try await call(.GET, "/proxy/\(podID)-\(port)\(path)", auth: .none)
    }
}

/// Options for an emulator whose clock only moves when the test advances it, at RunPod's pace (45 s pull,
/// 15 s container start, 30 s app start), so every status can be observed without sleeping.
func steppedEmulator(_ scenario: Scenario = .default) -> (EmulatorOptions, ManualEmulatorClock) {
    let clock = ManualEmulatorClock()
    return (EmulatorOptions(port: 0, scenario: scenario, timeScale: 1, clock: clock), clock)
}
