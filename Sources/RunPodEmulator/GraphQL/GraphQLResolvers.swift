import Foundation
import GraphQL

/// A RunPod business error: answered with HTTP 200, `data: {op: null}` and
/// `errors: [{message, path: [op], extensions: {code: "RUNPOD"}}]`, as RunPod's GraphQL API does.
struct RunPodGraphQLError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }

    init(_ message: String) { self.message = message }

    init(_ error: WorldError) {
        switch error {
        case .noCapacity: message = noCapacityMessage
        case .invalid(let reason): message = reason
        case .insufficientBalance: message = "You do not have enough funds to deploy this pod. Please add funds to your account."
        case .notFound: message = "Pod not found."
        case .forbidden: message = "You do not have permission to perform this action."
        case .conflict(let reason): message = reason
        case .missing(let reason): message = reason
        }
    }
}

/// Who is asking: handed to every resolver as the GraphQL context.
struct GraphQLCallContext: Sendable {
    let apiKey: String
}

/// Builds the executable schema: the SDL from `GraphQLSchemaText` plus resolvers over the one `World`.
enum RunPodGraphQLSchema {
    static func make(world: World) throws -> GraphQLSchema {
        let schema = try buildSchema(source: GraphQLSchemaText.sdl)
        let render = GraphQLRenderer(world: world)
        let resolvers = Resolvers(world: world, render: render)

        try attach(
            to: schema.queryType,
            [
                "myself": resolvers.myself,
                "pod": resolvers.pod,
                "gpuTypes": resolvers.gpuTypes,
            ])
        try attach(
            to: schema.mutationType,
            [
                "podFindAndDeployOnDemand": resolvers.deploy,
                "podStop": resolvers.stop,
                "podResume": resolvers.resume,
                "podTerminate": resolvers.terminate,
            ])
        try attach(
            to: schema.getType(name: "User") as? GraphQLObjectType,
            [
                "pods": { _, _, _, _ in world.pods().map(render.pod) },
                "networkVolumes": { _, _, _, _ in world.networkVolumes().map(render.networkVolume) },
            ])
        try attach(
            to: schema.getType(name: "GpuType") as? GraphQLObjectType,
            [
                "lowestPrice": { source, args, _, _ in
                    guard let gpu = (source as? GraphQLObject)?["_gpu"] as? GPUType else { return nil }
                    return render.lowestPrice(gpu, input: args["input"])
                }
            ])
        return schema
    }

    /// Sets resolvers on fields of a type built from SDL (GraphQLSwift allows this during setup, before execution).
    private static func attach(to type: GraphQLObjectType?, _ resolvers: [String: GraphQLFieldResolve]) throws {
        guard let type else { throw GraphQLError(message: "schema type missing") }
        let fields = try type.fields()
        for (name, resolve) in resolvers {
            guard let field = fields[name] else { throw GraphQLError(message: "\(type.name).\(name) is not in the schema") }
            field.resolve = resolve
        }
        type.fields = { fields }
    }
}

/// The root resolvers. (Calls are counted per request by `addGraphQLRoutes`, as `graphql:<root field>`.)
private struct Resolvers: Sendable {
    let world: World
    let render: GraphQLRenderer

    var myself: GraphQLFieldResolve {
        { [world] _, _, _, _ in
            let spend = world.pods().reduce(0) { $0 + $1.costPerHour }
            return [
                "id": "user_emulator",
                // RunPod's legacy `pubKey` is the account's registered keys, one per line (the keys REST v2 manages).
                "pubKey": world.sshKeys().joined(separator: "\n"),
                "email": "emulator@example.com",
                "clientBalance": world.balance,
                "currentSpendPerHr": spend,
            ] as GraphQLObject
        }
    }

    var pod: GraphQLFieldResolve {
        { [world, render] _, args, _, _ in
            guard let id = args["input"]["podId"].string, let record = world.pod(id: id) else { return nil }
            return render.pod(record)
        }
    }

    var gpuTypes: GraphQLFieldResolve {
        { [world, render] _, args, _, _ in
            var wanted: Set<String>?
            if let id = args["input"]["id"].string { wanted = [id] }
            if let ids = args["input"]["ids"].array { wanted = (wanted ?? []).union(ids.compactMap(\.string)) }
            return world.gpuTypes().filter { wanted?.contains($0.id) ?? true }.map(render.gpuType)
        }
    }

    var deploy: GraphQLFieldResolve {
        { [world, render] _, args, context, _ in
            let input = args["input"]
            let creation = try podCreation(from: input)
            let apiKey = (context as? GraphQLCallContext)?.apiKey
            let record = try business { () throws(WorldError) in
                try world.createPod(creation, api: .graphql, rawRequest: JSONValue(input), apiKey: apiKey)
            }
            return render.pod(record)
        }
    }

    var stop: GraphQLFieldResolve {
        { [world, render] _, args, _, _ in
            let id = args["input"]["podId"].string ?? ""
            return render.pod(try business { () throws(WorldError) in try world.stop(id: id) })
        }
    }

    var resume: GraphQLFieldResolve {
        { [world, render] _, args, _, _ in
            let (id, gpuCount) = (args["input"]["podId"].string ?? "", args["input"]["gpuCount"].int)
            return render.pod(try business { () throws(WorldError) in try world.resume(id: id, gpuCount: gpuCount) })
        }
    }

    var terminate: GraphQLFieldResolve {
        { [world] _, args, _, _ in
            let id = args["input"]["podId"].string ?? ""
            try business { () throws(WorldError) in try world.terminate(id: id) }
            return nil
        }
    }
}

/// Runs a world operation, turning its refusal into RunPod's GraphQL business error.
@discardableResult
private func business<T>(_ operation: () throws(WorldError) -> T) throws(RunPodGraphQLError) -> T {
    do {
        return try operation()
    } catch {
        throw RunPodGraphQLError(error)
    }
}

/// Reads `PodFindAndDeployOnDemandInput` into the world's API-neutral request.
private func podCreation(from input: Map) throws -> PodCreation {
    guard let gpuTypeID = input["gpuTypeId"].string ?? input["gpuTypeIdList"].array?.first?.string else {
        throw RunPodGraphQLError("gpuTypeId is required.")
    }
    guard let image = input["imageName"].string, !image.isEmpty else {
        throw RunPodGraphQLError("imageName is required.")
    }
    let cloud = input["cloudType"].string.flatMap(CloudType.init(rawValue:)) ?? .all
    // RunPod's GraphQL takes ports as one comma-separated string ("8188/http,22/tcp").
    let ports = (input["ports"].string ?? "").split(separator: ",")
        .map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
    let env = (input["env"].array ?? []).compactMap { item -> EnvVar? in
        guard let key = item["key"].string else { return nil }
        return EnvVar(key: key, value: item["value"].string ?? "")
    }
    let args = input["dockerArgs"].string
    return PodCreation(
        name: input["name"].string ?? "",
        image: image,
        gpuTypeID: gpuTypeID,
        gpuCount: input["gpuCount"].int ?? 1,
        cloud: cloud,
        dataCenterIDs: input["dataCenterId"].string.map { [$0] } ?? [],
        networkVolumeID: input["networkVolumeId"].string,
        mountPath: input["volumeMountPath"].string,
        ports: ports,
        env: env,
        containerDiskGB: input["containerDiskInGb"].int,
        volumeGB: input["volumeInGb"].int,
        startSsh: input["startSsh"].bool ?? false,
        args: args?.isEmpty == true ? nil : args
    )
}

extension JSONValue {
    /// The GraphQL value as JSON, for recording what a client sent.
    init(_ map: Map) {
        switch map {
        case .undefined, .null: self = .null
        case .bool(let value): self = .bool(value)
        case .number(let number):
            switch number.storageType {
            case .int: self = .int(number.intValue)
            case .bool: self = .bool(number.intValue != 0)
            default: self = .double(number.doubleValue)
            }
        case .string(let value): self = .string(value)
        case .array(let values): self = .array(values.map(JSONValue.init))
        case .dictionary(let members):
            var object: [String: JSONValue] = [:]
            for (key, value) in members where !value.isUndefined { object[key] = JSONValue(value) }
            self = .object(object)
        }
    }
}
