import Foundation
import RunPodEmulator
import Testing

/// RunPod's GraphQL status codes and error shapes: business errors are 200 with `data: {op: null}`, schema errors
/// 400, authentication 401.
@Suite("GraphQL: errors and authentication")
struct GraphQLErrorTests {
    @Test("no capacity is HTTP 200 with RunPod's message, path [op], code RUNPOD and data {op: null}")
    func noCapacity() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: "NVIDIA GeForce RTX 4090", dataCenterID: "EU-RO-1", count: 0)
            let answer = try await emulator.graphQL(SDKQueries.deploy())
            #expect(answer.status == 200)
            let error = try #require(answer.json["errors"]?.arrayValue?.first)
            #expect(
                error["message"]?.stringValue
                    == "There are no longer any instances available with the requested specifications. Please refresh and try again.")
            #expect(error["path"] == .array([.string("podFindAndDeployOnDemand")]))
            #expect(error["extensions"]?["code"]?.stringValue == "RUNPOD")
            #expect(answer.json["data"] == .object(["podFindAndDeployOnDemand": .null]))
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("a volume in another data center than dataCenterId is a business error, not a pod")
    func volumeElsewhere() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.graphQL(SDKQueries.deploy(dataCenter: "US-KS-2"))
            #expect(answer.status == 200)
            #expect(answer.json["errors"]?.arrayValue?.first?["extensions"]?["code"]?.stringValue == "RUNPOD")
            #expect(answer.data("podFindAndDeployOnDemand") == .null)
        }
    }

    @Test(
        "documents that do not parse or validate are HTTP 400 with errors and no data",
        arguments: [
            "{ myself { id notAField } }",  // unknown field
            "{ gpuTypes(input: {id: \"RTX \"4090\"}) { id } }",  // a quote spliced into the text, as the SDK would
            "mutation { podTerminate(input: {}) }",  // required podId missing
            "{ pod(input: {podId: \"x\"}) }",  // object field without a selection set
            "query ($n: Int!) { gpuTypes { lowestPrice(input: {gpuCount: $n}) { stockStatus } } }",  // variable not given
        ])
    func schemaErrors(query: String) async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.graphQL(query)
            #expect(answer.status == 400)
            #expect(answer.contentType.hasPrefix("application/json"))
            #expect(answer.firstError?.isEmpty == false)
            #expect(answer.json["data"] == nil)
        }
    }

    @Test("a body that is not a GraphQL request is HTTP 400")
    func notAGraphQLRequest() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.post(path: "/graphql", body: Data("{\"nope\": 1}".utf8), auth: .bearer(emulator.apiKey))
            #expect(answer.status == 400)
        }
    }

    @Test("a bad or missing key is HTTP 401, whatever the query", arguments: [GraphQLAuth.bearer("rpa_WRONG"), .queryParameter("rpa_WRONG"), .none])
    func unauthorized(auth: GraphQLAuth) async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.graphQL(SDKQueries.gpuTypes, auth: auth)
            #expect(answer.status == 401)
            #expect(answer.json["data"] == nil)
            let broken = try await emulator.graphQL("{ not valid", auth: auth)
            #expect(broken.status == 401)
        }
    }

    @Test("the legacy ?api_key= query parameter is accepted")
    func legacyQueryKey() async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.graphQL(SDKQueries.myself, auth: .queryParameter(emulator.apiKey))
            #expect(answer.status == 200)
            #expect(answer.data("myself")?["id"] != nil)
        }
    }

    @Test("stopping or terminating an unknown pod is a business error on that operation")
    func unknownPod() async throws {
        try await withEmulator { emulator in
            for (query, operation) in [(SDKQueries.stop("nope"), "podStop"), (SDKQueries.terminate("nope"), "podTerminate")] {
                let answer = try await emulator.graphQL(query)
                #expect(answer.status == 200)
                #expect(answer.json["errors"]?.arrayValue?.first?["path"] == .array([.string(operation)]))
                #expect(answer.data(operation) == .null)
            }
        }
    }
}

extension GraphQLAuth: CustomTestStringConvertible {
    var testDescription: String {
        switch self {
        case .bearer: "bad Bearer key"
        case .queryParameter: "bad ?api_key="
        case .none: "no key"
        }
    }
}
