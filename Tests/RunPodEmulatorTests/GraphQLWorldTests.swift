import Foundation
import RunPodEmulator
import Testing

/// GraphQL and REST v2 act on one world; GraphQL accepts variables as well as spliced arguments.
@Suite("GraphQL: one world with REST, variables, lowestPrice")
struct GraphQLWorldTests {
    @Test("a pod created through GraphQL is the world's pod and REST's pod, pinned to its volume's data center")
    func graphQLPodVisibleEverywhere() async throws {
        try await withEmulator { emulator in
            let created = try await emulator.graphQL(SDKQueries.deploy())
            let id = try #require(created.data("podFindAndDeployOnDemand")?["id"]?.stringValue)

            let record = try #require(await emulator.pod(id: id))
            #expect(record.api == .graphql)
            #expect(record.dataCenterID == "EU-RO-1")
            #expect(record.creation.networkVolumeID == "rp-vol-comfyui01")
            #expect(record.creation.env.map(\.key) == ["COMFY", "MODE"])
            #expect(record.rawRequest["gpuTypeId"]?.stringValue == "NVIDIA GeForce RTX 4090")

            let rest = try await emulator.restGet("/v2/pods/\(id)")
            #expect(rest.status == 200)
            #expect(rest.json["id"]?.stringValue == id)
            #expect(rest.json["dataCenterId"]?.stringValue == "EU-RO-1")

            let state = await emulator.state()
            #expect(state.calls["graphql:podFindAndDeployOnDemand"] == 1)
        }
    }

    @Test("a pod terminated through GraphQL is gone from REST")
    func terminatedEverywhere() async throws {
        try await withEmulator { emulator in
            let created = try await emulator.graphQL(SDKQueries.deploy())
            let id = try #require(created.data("podFindAndDeployOnDemand")?["id"]?.stringValue)
            _ = try await emulator.graphQL(SDKQueries.terminate(id))
            #expect(try await emulator.restGet("/v2/pods/\(id)").status == 404)
            #expect(await emulator.stock(gpuTypeID: "NVIDIA GeForce RTX 4090", dataCenterID: "EU-RO-1") == 12)
        }
    }

    @Test("variables work as well as spliced arguments, including input objects and enums")
    func variables() async throws {
        try await withEmulator { emulator in
            let mutation = """
                mutation Deploy($input: PodFindAndDeployOnDemandInput!) {
                  podFindAndDeployOnDemand(input: $input) { id desiredStatus env ports volumeMountPath runtime { uptimeInSeconds } }
                }
                """
            let input: JSONValue = .object([
                "name": .string("with \"quotes\" in the name"),
                "imageName": .string("bilunsun/comfyuiprod:pod-test-0"),
                "gpuTypeId": .string("NVIDIA RTX A5000"),
                "cloudType": .string("SECURE"),
                "gpuCount": .int(1),
                "networkVolumeId": .string("rp-vol-comfyui01"),
                "volumeMountPath": .string("/workspace"),
                "ports": .string("8188/http"),
                "env": .array([.object(["key": .string("A"), "value": .string("b=c")])]),
            ])
            let answer = try await emulator.graphQL(mutation, variables: ["input": input])
            #expect(answer.status == 200)
            let pod = try #require(answer.data("podFindAndDeployOnDemand"))
            #expect(pod["desiredStatus"]?.stringValue == "RUNNING")
            #expect(pod["env"] == .array([.string("A=b=c")]))
            #expect(pod["runtime"] == .null)
            let id = try #require(pod["id"]?.stringValue)
            #expect(await emulator.pod(id: id)?.name == "with \"quotes\" in the name")

            let query = "query Pod($id: String!) { pod(input: {podId: $id}) { name gpuCount } }"
            let read = try await emulator.graphQL(query, variables: ["id": .string(id)])
            #expect(read.data("pod")?["name"]?.stringValue == "with \"quotes\" in the name")
        }
    }

    @Test("a variable of the wrong type is HTTP 400")
    func wrongVariableType() async throws {
        try await withEmulator { emulator in
            let query = "query Pod($id: String!) { pod(input: {podId: $id}) { id } }"
            let answer = try await emulator.graphQL(query, variables: ["id": .object([:])])
            #expect(answer.status == 400)
        }
    }

    @Test(
        "lowestPrice.stockStatus follows the data center's free GPUs",
        arguments: [
            ("NVIDIA GeForce RTX 4090", "EU-RO-1", JSONValue.string("High")),  // 12 free
            ("NVIDIA A100 80GB PCIe", "EU-RO-1", .string("Medium")),  // 3 free
            ("NVIDIA H100 80GB HBM3", "EU-RO-1", .string("Low")),  // 2 free
            ("NVIDIA A40", "US-TX-3", .string("None")),  // listed there, none free
            ("NVIDIA GeForce RTX 4090", "US-TX-3", .null),  // not offered there at all
        ])
    func stockStatus(gpu: String, dataCenter: String, expected: JSONValue) async throws {
        try await withEmulator { emulator in
            let query = """
                { gpuTypes(input: {id: "\(gpu)"}) {
                    lowestPrice(input: {gpuCount: 1, dataCenterId: "\(dataCenter)", secureCloud: true}) {
                      stockStatus uninterruptablePrice minimumBidPrice
                    }
                } }
                """
            let answer = try await emulator.graphQL(query)
            #expect(answer.status == 200)
            let lowest = try #require(answer.data("gpuTypes")?.arrayValue?.first?["lowestPrice"])
            #expect((lowest["stockStatus"] ?? .null) == expected)
            let stocked = expected != .null && expected != .string("None")
            #expect(((lowest["uninterruptablePrice"] ?? .null) != .null) == stocked)
        }
    }

    @Test("aliases, fragments and __typename work: it is a real GraphQL engine")
    func graphQLFeatures() async throws {
        try await withEmulator { emulator in
            let query = """
                query { me: myself { ...Who } cheap: gpuTypes(input: {id: "NVIDIA RTX A5000"}) { __typename id } }
                fragment Who on User { __typename id }
                """
            let answer = try await emulator.graphQL(query)
            #expect(answer.status == 200)
            #expect(answer.data("me")?["__typename"]?.stringValue == "User")
            #expect(answer.data("cheap")?.arrayValue?.first?["__typename"]?.stringValue == "GpuType")
        }
    }
}
