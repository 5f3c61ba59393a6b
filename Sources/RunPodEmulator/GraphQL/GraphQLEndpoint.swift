import Foundation
import GraphQL
import Hummingbird
import NIOCore

/// `POST /graphql`: RunPod's legacy GraphQL API over the one world.
///
/// Status codes as RunPod answers them: 401 for a missing or unknown key (Bearer header, or the old `?api_key=`),
/// 400 for a body that is not a GraphQL request or a document that does not parse or validate against the schema,
/// 200 for everything that executes, business errors included (`data: {op: null}` plus `errors` with
/// `extensions.code` "RUNPOD").
struct GraphQLEndpoint: Sendable {
    let world: World
    let schema: GraphQLSchema

    init(world: World) throws {
        self.world = world
        schema = try RunPodGraphQLSchema.make(world: world)
        // Validate once, up front (GraphQLSwift caches the result), so a schema mistake fails at start-up.
        if let error = validateSchema(schema: schema).first { throw error }
    }

    /// The key a request carries: `Authorization: Bearer …`, else the legacy `?api_key=` query parameter.
    static func apiKey(of request: Request) -> String? {
        EmulatorCore.bearerToken(request.headers[.authorization]) ?? request.uri.queryParameters.get("api_key").map { String($0) }
    }

    /// Answers one HTTP request whose body has been read.
    func reply(to request: Request, body: ByteBuffer, parsed: GraphQLRequest?) async -> Reply {
        guard let key = Self.apiKey(of: request), world.isValidKey(key) else {
            return Self.json(.unauthorized, message: "Unauthorized request, please check your API key.", code: "UNAUTHENTICATED")
        }
        guard let parsed else {
            return Self.json(.badRequest, message: "POST body must be JSON with a \"query\" string.", code: "BAD_USER_INPUT")
        }
        let (status, result) = await execute(parsed, apiKey: key)
        return Self.json(status, result: result)
    }

    /// Runs one request. Documents that do not parse or validate (no `data` at all) are 400; everything else is 200.
    func execute(_ request: GraphQLRequest, apiKey: String) async -> (HTTPResponse.Status, GraphQLResult) {
        let result: GraphQLResult
        do {
            result = try await graphql(
                schema: schema, request: request.query, context: GraphQLCallContext(apiKey: apiKey),
                variableValues: request.variables, operationName: request.operationName)
        } catch let error as GraphQLError {
            return (.badRequest, GraphQLResult(errors: [Self.coded(error, "GRAPHQL_PARSE_FAILED")]))
        } catch {
            return (.badRequest, GraphQLResult(errors: [GraphQLError(message: String(describing: error))]))
        }
        guard result.data != nil else {
            return (.badRequest, GraphQLResult(errors: result.errors.map { Self.coded($0, "GRAPHQL_VALIDATION_FAILED") }))
        }
        let errors = result.errors.map { error in
            error.originalError is RunPodGraphQLError ? Self.coded(error, "RUNPOD") : Self.coded(error, "INTERNAL_SERVER_ERROR")
        }
        return (.ok, GraphQLResult(data: result.data, errors: errors))
    }

    /// The root fields a request selects (`podFindAndDeployOnDemand`, …), for call counting and fault rules;
    /// empty when the document does not parse.
    static func rootFields(of request: GraphQLRequest) -> [String] {
        guard let document = try? parse(source: Source(body: request.query, name: "GraphQL request")) else { return [] }
        let operations = document.definitions.compactMap { $0 as? OperationDefinition }
        let operation = operations.first { $0.name?.value == request.operationName } ?? operations.first
        return operation?.selectionSet.selections.compactMap { ($0 as? Field)?.name.value } ?? []
    }

    private static func coded(_ error: GraphQLError, _ code: String) -> GraphQLError {
        var extensions = error.extensions
        extensions["code"] = .string(code)
        return GraphQLError(message: error.message, locations: error.locations, path: error.path, extensions: extensions)
    }

    static func json(_ status: HTTPResponse.Status, message: String, code: String) -> Reply {
        json(status, result: GraphQLResult(errors: [GraphQLError(message: message, extensions: ["code": .string(code)])]))
    }

    private static func json(_ status: HTTPResponse.Status, result: GraphQLResult) -> Reply {
        let data = (try? GraphQLJSONEncoder().encode(result)) ?? Data(#"{"errors":[{"message":"encoding failed"}]}"#.utf8)
        return Reply.raw(data, status: status, contentType: "application/json")
    }
}

/// Registers RunPod's legacy GraphQL API on an emulator router (called from `buildApplication`).
enum GraphQLRoutes {
    /// Adds `POST /graphql`, answered from `world`. Each request is counted in the world's `calls` as
    /// `graphql:<root field>` (e.g. `graphql:podFindAndDeployOnDemand`); fault injection, if any, is the router's
    /// (a middleware on the group passed in; if that middleware counts calls too, GraphQL calls count twice).
    static func register<Routes: RouterMethods>(on router: Routes, world: World) throws {
        let endpoint = try GraphQLEndpoint(world: world)
        router.post("graphql") { request, _ -> Response in
            let (body, parsed, root) = try await read(request)
            if let root { world.recordCall(operation: "graphql:\(root)") }
            return await endpoint.reply(to: request, body: body, parsed: parsed).response
        }
    }

    /// Adds `POST /graphql` behind the core's fault injection: the operation is `graphql` and the alias
    /// `graphql:<root field>`, so a fault rule may name either, and each request is counted once, under the alias.
    static func register(on router: Router<EmulatorRequestContext>, core: EmulatorCore) throws {
        let endpoint = try GraphQLEndpoint(world: core.world)
        router.post("graphql") { request, context -> Response in
            let (body, parsed, root) = try await read(request)
            return try await core.withFaults(operation: "graphql", alias: root.map { "graphql:\($0)" }, context: context) {
                await endpoint.reply(to: request, body: body, parsed: parsed)
            }
        }
    }

    /// The body, the GraphQL request in it (nil when it is not one) and its first root field.
    private static func read(_ request: Request) async throws -> (ByteBuffer, GraphQLRequest?, String?) {
        let body = try await request.body.collect(upTo: 4 << 20)
        let parsed = try? JSONDecoder().decode(GraphQLRequest.self, from: Data(buffer: body))
        return (body, parsed, parsed.flatMap { GraphQLEndpoint.rootFields(of: $0).first })
    }
}
