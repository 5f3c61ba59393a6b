import Foundation
import RunPodAPI
import TestSupport
import Testing

@Suite("requests on the wire")
struct WireTests {
    @Test("the key travels only as a Bearer header, never in the URL")
    func bearerOnly() async throws {
        let transport = ScriptedTransport([.respond(json(200, #"{"pods":[]}"#))])
        _ = try await makeClient(transport).listPods()
        let request = try #require(transport.requests.first)
        #expect(request.header("authorization") == "Bearer \(testKey)")
        #expect(!request.url.absoluteString.contains(testKey))
        #expect(!request.url.absoluteString.contains("api_key"))
        #expect(request.url.absoluteString == "https://api.example.test/v2/pods")
    }

    @Test("no error text ever contains the key", arguments: [401, 403, 404, 422, 429, 500, 503])
    func keyNeverInErrors(status: Int) async throws {
        let transport = ScriptedTransport(Array(repeating: problem(status, "Error", "bad key or something"), count: 5))
        let error = try await #require(throws: RunPodAPIError.self) { try await makeClient(transport).getPod(id: "p") }
        #expect(!error.description.contains(testKey))
        #expect(!"\(APIKey(testKey))".contains(testKey))
        #expect(!String(reflecting: APIKey(testKey)).contains(testKey))
    }

    @Test("the GPU catalog is asked for pod availability for the count and cloud")
    func catalogQuery() async throws {
        let body =
            #"{"gpus":[{"id":"NVIDIA A40","name":"A40","pool":null,"manufacturer":"NVIDIA","memory":48,"secure":true,"community":false,"price":{"secure":0.4,"community":0.0},"maxCount":8,"availability":"HIGH","dataCenters":[{"id":"EU-RO-1","name":"EU Romania 1","availability":"LOW"}]}]}"#
        let transport = ScriptedTransport([.respond(json(200, body))])
        let gpus = try await makeClient(transport).listGPUTypes(count: 2, cloud: .secure)
        #expect(gpus.first?.dataCenters?.first?.availability == .low)
        let items = URLComponents(url: try #require(transport.requests.first?.url), resolvingAgainstBaseURL: false)?.queryItems ?? []
        #expect(
            Dictionary(uniqueKeysWithValues: items.map { ($0.name, $0.value ?? "") }) == [
                "include": "AVAILABILITY", "product": "POD", "count": "2", "cloud": "SECURE",
            ])
        #expect(transport.requests.first?.url.path == "/v2/catalog/gpus")
    }

    @Test("path IDs are percent-encoded so an ID cannot change the path")
    func idsEncoded() async throws {
        let transport = ScriptedTransport([.respond(json(200, podJSON))])
        _ = try await makeClient(transport).getPod(id: "../network-volumes?x")
        let url = try #require(transport.requests.first?.url)
        #expect(url.absoluteString == "https://api.example.test/v2/pods/..%2Fnetwork-volumes%3Fx")
    }

    @Test("createPod sends the body as JSON, without nulls")
    func createBody() async throws {
        let transport = ScriptedTransport([.respond(json(201, podJSON))])
        _ = try await makeClient(transport).createPod(sampleCreate)
        let request = try #require(transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.header("content-type") == "application/json")
        let object = try #require(try JSONSerialization.jsonObject(with: request.body ?? Data()) as? [String: Any])
        #expect(object["dataCenterIds"] as? [String] == ["EU-RO-1"])
        #expect((object["gpu"] as? [String: Any])?["id"] as? String == "NVIDIA A40")
        #expect(((object["mounts"] as? [String: Any])?["network"] as? [[String: String]])?.first?["volumeId"] == "vol1")
        #expect(object["startSsh"] == nil)
    }

    @Test("deletePod accepts 204, podAction terminate returns nil")
    func deleteAndAction() async throws {
        let transport = ScriptedTransport([.respond(HTTPResponse(status: 204)), .respond(HTTPResponse(status: 204)), .respond(json(200, podJSON))])
        let client = makeClient(transport)
        try await client.deletePod(id: "pod_1")
        #expect(try await client.podAction(id: "pod_1", action: .terminate) == nil)
        #expect(try await client.podAction(id: "pod_1", action: .stop)?.id == "pod_1")
        #expect(transport.requests.map(\.method) == ["DELETE", "POST", "POST"])
        #expect(transport.requests[1].url.path == "/v2/pods/pod_1/action")
    }

    @Test("the last RateLimit budget is exposed")
    func rateLimitExposed() async throws {
        let headers: [(name: String, value: String)] = [
            ("RateLimit", #""minute";r=3;t=12, "hour";r=2800;t=1812"#), ("RateLimit-Policy", #""minute";q=60;w=60, "hour";q=3000;w=3600"#),
        ]
        let transport = ScriptedTransport([.respond(json(200, #"{"pods":[]}"#, headers: headers))])
        let client = makeClient(transport)
        #expect(client.rateLimit == nil)
        _ = try await client.listPods()
        let tightest = try #require(client.rateLimit?.tightest)
        #expect(tightest.name == "minute")
        #expect(tightest.remaining == 3)
        #expect(tightest.resetsIn == .seconds(12))
        #expect(tightest.quota == 60)
        #expect(tightest.length == .seconds(60))
    }

    @Test("a garbled RateLimit header is ignored, not fatal")
    func garbledRateLimit() {
        #expect(RateLimitStatus(rateLimit: ";;,,", policy: nil) == nil)
        #expect(RateLimitStatus(rateLimit: #""minute";r=abc;t=5"#, policy: nil)?.windows.first?.remaining == nil)
    }

    @Test(
        "base URLs ending in /, /v2 or /graphql all reach /v2",
        arguments: ["https://h.test", "https://h.test/", "https://h.test/v2", "https://h.test/graphql"])
    func baseURLNormalised(base: String) async throws {
        let transport = ScriptedTransport([.respond(json(200, #"{"pods":[]}"#))])
        let client = RunPodClient(baseURL: testURL(base), apiKey: APIKey(testKey), transport: transport)
        _ = try await client.listPods()
        #expect(transport.requests.first?.url.absoluteString == "https://h.test/v2/pods")
    }
}
