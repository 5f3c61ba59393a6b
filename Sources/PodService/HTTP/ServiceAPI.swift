import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PodLauncher
import Synchronization

/// What the HTTP API needs to answer: the store, how a body becomes a launch plan, the token, and the metrics.
public struct ServiceContext: Sendable {
    public var store: LaunchStore
    /// Turns a parsed body into a stored plan (profiles, environment, the library's checks), or a 422.
    public var intake: LaunchIntake
    public var token: ServiceToken
    public var metrics: ServiceMetrics
    /// Answers 503 once shutdown began.
    public var draining: Draining
    /// Pools' waiting lease requests, draining pods and last decisions.
    public var pools: PoolRuntime
    /// Whether this replica drives RunPod (`/healthz`, `/metrics`).
    public var leadership: Leadership
    public var now: @Sendable () -> Date

    public init(
        store: LaunchStore, intake: LaunchIntake, token: ServiceToken, metrics: ServiceMetrics, draining: Draining = Draining(),
        pools: PoolRuntime = PoolRuntime(), leadership: Leadership = .sole, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.leadership = leadership
        self.store = store
        self.intake = intake
        self.token = token
        self.metrics = metrics
        self.draining = draining
        self.pools = pools
        self.now = now
    }
}

/// Set when the service begins to shut down: new requests get a 503 while the last writes finish.
public final class Draining: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isDraining: Bool { flag.load(ordering: .relaxed) }
    public func begin() { flag.store(true, ordering: .relaxed) }
}

/// The HTTP API, version 1 (the contract is `Resources/openapi.json`, served at `/v1/openapi.json`).
public enum ServiceAPI {
    /// The largest request body taken; larger ones get 413.
    public static let maxBody = 1 << 20
    /// The longest a `?wait=ready` may hold a request.
    public static let maxWaitSeconds = 300

    /// The routes, behind the problem+json and authentication middleware.
    public static func router(_ service: ServiceContext) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ProblemMiddleware(draining: service.draining))
        router.get("healthz") { _, _ in try json(HealthBody(leader: service.leadership.isLeader, version: LauncherVersion.current)) }
        router.get("metrics") { _, _ in
            service.metrics.leader(service.leadership.isLeader)
            service.metrics.launches(try await service.store.countsByState())
            var pools: [(name: String, status: PoolRuntime.Status, pods: Int)] = []
            for pool in try await service.store.pools() {
                let pods = try await service.store.poolLaunches(pool.settings.name).filter { $0.state != .terminating }.count
                pools.append((pool.settings.name, try await service.store.poolStatus(pool.settings.name) ?? PoolRuntime.Status(), pods))
            }
            service.metrics.pools(pools)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: service.metrics.render())))
        }
        Dashboard.add(to: router, service: service)
        let v1 = router.group("v1").add(middleware: BearerAuth(token: service.token))
        v1.get("openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.bytes)))
        }
        v1.post("pods") { request, context in try await createLaunch(request, context: context, service: service) }
        v1.get("pods") { request, _ in try await listLaunches(request, service: service) }
        v1.get("pods/:id") { request, context in try await getLaunch(request, context: context, service: service) }
        v1.delete("pods/:id") { _, context in try await deleteLaunch(context: context, service: service) }
        v1.get("events") { request, _ in try await EventStream.response(request, service: service) }
        PoolRoutes.add(to: v1, service: service)
        return router
    }

    // MARK: Launches

    static func createLaunch(_ request: Request, context: BasicRequestContext, service: ServiceContext) async throws -> Response {
        if let type = request.headers[.contentType], !isJSON(type) { throw Problem.unsupportedMediaType(type) }
        let key = try idempotencyKey(request)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch is NIOTooManyBytesError {
            throw Problem.payloadTooLarge(limit: maxBody)
        }
        let parsed = try LaunchRequest.parse(body)
        let plan = try service.intake.plan(for: parsed)
        let launch = Launch(id: Launch.newID(), name: plan.name, plan: plan.record, createdAt: service.now())
        let outcome = try await service.store.create(
            launch, idempotency: key.map { LaunchStore.IdempotencyKey(key: $0, bodyDigest: parsed.canonicalJSON) })
        var headers = HTTPFields()
        switch outcome {
        case .created(let stored):
            headers[.location] = "/v1/pods/\(stored.id)"
            return launchResponse(stored, status: .accepted, headers: headers, service: service)
        case .replayed(let stored):
            headers[.location] = "/v1/pods/\(stored.id)"
            if let replayed = HTTPField.Name("Idempotent-Replayed") { headers[replayed] = "true" }
            return launchResponse(stored, status: .accepted, headers: headers, service: service)
        case .conflict(let launchID):
            throw Problem.idempotencyConflict(key: key ?? "", launchID: launchID)
        }
    }

    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let name = HTTPField.Name("Idempotency-Key"), let key = request.headers[name] else { return nil }
        let printable = key.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7f }
        guard (1...255).contains(key.count), printable else {
            throw Problem.validation([.header("Idempotency-Key", "must be 1 to 255 printable ASCII characters")])
        }
        return key
    }

    static func listLaunches(_ request: Request, service: ServiceContext) async throws -> Response {
        var errors: [Problem.FieldError] = []
        var states: [LaunchState] = []
        var limit = 100
        var cursor: ListCursor?
        var pool: String?
        for (name, value) in request.uri.queryParameters {
            let value = String(value)
            switch String(name) {
            case "state":
                if let state = LaunchState(rawValue: value) {
                    states.append(state)
                } else {
                    errors.append(.parameter("state", "must be one of \(LaunchState.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
            case "pool": pool = value
            case "limit":
                if let number = Int(value), (1...1000).contains(number) {
                    limit = number
                } else {
                    errors.append(.parameter("limit", "must be an integer from 1 to 1000"))
                }
            case "cursor":
                if let parsed = ListCursor(value) {
                    cursor = parsed
                } else {
                    errors.append(.parameter("cursor", "is not a cursor this service returned"))
                }
            default:
                errors.append(.parameter(String(name), "is not a parameter of this operation (state, pool, limit, cursor)"))
            }
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        let page = try await service.store.launches(states: states, pool: pool, limit: limit + 1, after: cursor)
        let shown = Array(page.prefix(limit))
        let next = page.count > limit ? shown.last.map { ListCursor(after: $0).text } : nil
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let body = LaunchView.encodeList(shown, nextCursor: next, now: service.now())
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    static func getLaunch(_ request: Request, context: BasicRequestContext, service: ServiceContext) async throws -> Response {
        let id = try launchID(context)
        var wait = false
        var timeout = 60
        var errors: [Problem.FieldError] = []
        for (name, value) in request.uri.queryParameters {
            switch String(name) {
            case "wait":
                if value == "ready" { wait = true } else { errors.append(.parameter("wait", "must be \"ready\"")) }
            case "timeoutSeconds":
                if let seconds = Int(String(value)), (0...maxWaitSeconds).contains(seconds) {
                    timeout = seconds
                } else {
                    errors.append(.parameter("timeoutSeconds", "must be an integer from 0 to \(maxWaitSeconds)"))
                }
            default: errors.append(.parameter(String(name), "is not a parameter of this operation (wait, timeoutSeconds)"))
            }
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        guard var launch = try await service.store.launch(id: id) else { throw Problem.notFound(launchID: id) }
        if wait { launch = try await waitForReady(launch, seconds: timeout, service: service) }
        return launchResponse(launch, status: .ok, service: service)
    }

    /// Holds the request until the launch is ready, failed or terminated, or `seconds` pass.
    static func waitForReady(_ launch: Launch, seconds: Int, service: ServiceContext) async throws -> Launch {
        func settled(_ launch: Launch) -> Bool { [.ready, .failed, .terminated].contains(launch.state) }
        guard !settled(launch), seconds > 0 else { return launch }
        let changes = service.store.changes.subscribe()
        return try await withThrowingTaskGroup(of: Launch?.self) { group in
            group.addTask {
                // Read again after subscribing: a change between the first read and the subscription is not missed.
                for await _ in changes {
                    if let current = try await service.store.launch(id: launch.id), settled(current) { return current }
                }
                return nil
            }
            group.addTask {
                if let current = try await service.store.launch(id: launch.id), settled(current) { return current }
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            if let first { return first }
            return try await service.store.launch(id: launch.id) ?? launch
        }
    }

    static func deleteLaunch(context: BasicRequestContext, service: ServiceContext) async throws -> Response {
        let id = try launchID(context)
        for _ in 0..<5 {
            guard let launch = try await service.store.launch(id: id) else { throw Problem.notFound(launchID: id) }
            if launch.state.isFinal { return launchResponse(launch, status: .ok, service: service) }
            if launch.state == .terminating { return launchResponse(launch, status: .accepted, service: service) }
            var next = launch
            next.state = .terminating
            if let stored = try await service.store.update(next) { return launchResponse(stored, status: .accepted, service: service) }
        }
        throw Problem.unavailable("The launch kept changing while it was being ended; try again.", retryAfter: 1)
    }

    static func launchID(_ context: BasicRequestContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard Launch.isID(id) else { throw Problem.notFound(launchID: id) }
        return id
    }

    static func launchResponse(_ launch: Launch, status: HTTPResponse.Status, headers: HTTPFields = [:], service: ServiceContext) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: LaunchView.encode(launch, now: service.now())))
    }

    static func isJSON(_ contentType: String) -> Bool {
        let media = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
    }

    struct HealthBody: Encodable {
        var status = "ok"
        var leader: Bool
        var version: LauncherVersion
    }

    static func json(_ value: some Encodable) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(data: try JSONEncoder().encode(value))))
    }
}

/// The service's OpenAPI document, as shipped in the package's resources.
enum OpenAPIDocument {
    static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else { return [] }
        return Array(data)
    }()
}

/// `Authorization: Bearer TOKEN` on every `/v1` request; anything else is a 401 (compared in constant time).
struct BearerAuth: RouterMiddleware {
    let token: ServiceToken

    func handle(_ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response) async throws
        -> Response
    {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), token.matches(String(header.dropFirst(7))) else {
            throw Problem.unauthorized()
        }
        return try await next(request, context)
    }
}

/// The service's paths and the methods each takes: a known path asked with another method is a 405 naming them.
enum Routes {
    static let table: [(pattern: [String], methods: [HTTPRequest.Method])] = [
        (["v1", "pods"], [.get, .post]), (["v1", "pods", "*"], [.get, .delete]), (["v1", "events"], [.get]),
        (["v1", "openapi.json"], [.get]), (["v1", "pools"], [.get]), (["v1", "pools", "*"], [.get, .put, .delete]),
        (["v1", "pools", "*", "demand"], [.put]), (["v1", "pools", "*", "leases"], [.post]), (["v1", "leases", "*", "renew"], [.post]),
        (["v1", "leases", "*"], [.delete]), (["healthz"], [.get]), (["metrics"], [.get]), ([], [.get]), (["dashboard", "events"], [.get]),
    ]

    static func methods(for path: String) -> [HTTPRequest.Method]? {
        let parts = path.split(separator: "/").map(String.init)
        return table.first { route in
            route.pattern.count == parts.count && zip(route.pattern, parts).allSatisfy { $0 == "*" || $0 == $1 }
        }?.methods
    }
}

/// Every error becomes problem+json: the API's own `Problem`s as they are, Hummingbird's (404 for no route) with
/// their status, anything else a 500 whose body says nothing of the error (it could carry a secret); it is logged.
/// While draining, every request gets 503.
struct ProblemMiddleware: RouterMiddleware {
    let draining: Draining

    func handle(_ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response) async throws
        -> Response
    {
        if draining.isDraining { return Problem.unavailable().response() }
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.response()
        } catch is NIOTooManyBytesError {
            return Problem.payloadTooLarge(limit: ServiceAPI.maxBody).response()
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                if let allowed = Routes.methods(for: request.uri.path), !allowed.contains(request.method) {
                    return Problem.methodNotAllowed(request.method, allowed: allowed).response()
                }
                return Problem.notFound("No route serves \(request.method.rawValue) \(request.uri.path).").response()
            case .methodNotAllowed: return Problem(status: .methodNotAllowed, detail: "\(request.method.rawValue) is not allowed here.").response()
            default: return Problem(status: error.status, detail: error.body ?? error.status.reasonPhrase).response()
            }
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(describing: type(of: error)))"])
            return Problem.internal().response()
        }
    }
}
