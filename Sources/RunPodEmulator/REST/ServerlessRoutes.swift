import Foundation

/// REST v2 serverless endpoints: stored configurations with a release history (a change to a container or compute
/// setting makes a new release). The emulator runs no serverless workers: worker lists are empty, so a worker's log
/// is 404.
func addServerlessRoutes(to rest: RESTRouter) {
    let world = rest.core.world

    rest.on(.get, "/v2/serverless", "listEndpoints") { _ in
        .json(["endpoints": JSONValue.array(world.endpoints().map(EndpointView.json))])
    }

    rest.on(.post, "/v2/serverless", "createEndpoint") { call in
        switch call.object(ServerlessShapes.create) {
        case .failure(let reply): return reply
        case .success(let object): return createEndpoint(object, world: world)
        }
    }

    rest.on(.get, "/v2/serverless/{id}", "getEndpoint") { call in
        guard let endpoint = world.endpoint(id: call.parameter()) else { return .notFound("serverless endpoint") }
        return .json(EndpointView.json(endpoint))
    }

    rest.on(.patch, "/v2/serverless/{id}", "updateEndpoint") { call in
        switch call.object(ServerlessShapes.update) {
        case .failure(let reply): return reply
        case .success(let object):
            guard let endpoint = world.endpoint(id: call.parameter()) else { return .notFound("serverless endpoint") }
            return updateEndpoint(endpoint, object, world: world)
        }
    }

    rest.on(.delete, "/v2/serverless/{id}", "deleteEndpoint") { call in
        do throws(WorldError) {
            try world.deleteEndpoint(id: call.parameter())
            return .noContent
        } catch {
            return restProblem(error)
        }
    }

    rest.on(.get, "/v2/serverless/{id}/workers", "listEndpointWorkers") { call in
        guard let endpoint = world.endpoint(id: call.parameter()) else { return .notFound("serverless endpoint") }
        let summary: JSONValue = ["running": 0, "idle": 0, "initializing": 0, "throttled": 0, "unhealthy": 0, "total": 0]
        return .json(["workers": [], "summary": summary, "endpointVersion": .int(endpoint.version)] as JSONValue)
    }

    rest.on(.get, "/v2/serverless/{id}/releases", "listEndpointReleases") { call in
        guard let endpoint = world.endpoint(id: call.parameter()) else { return .notFound("serverless endpoint") }
        return .json(EndpointView.releases(endpoint))
    }

    rest.on(.get, "/v2/serverless/{id}/workers/{workerId}/logs", "getWorkerLogs") { call in
        guard world.endpoint(id: call.parameter()) != nil else { return .notFound("serverless endpoint") }
        return .notFound("worker")
    }
}

private func createEndpoint(_ object: [String: JSONValue], world: World) -> Reply {
    var config = object
    var templateID: String?
    if let id = object["templateId"]?.stringValue {
        guard let template = world.template(id: id) else { return .notFound("template") }
        guard template.serverless else { return .validationFailed(["$.templateId: template '\(id)' is not a serverless template"]) }
        config = TemplateMerge.apply(template, to: object, forCreate: false)
        templateID = template.owned ? id : nil
    } else if object["image"] == nil {
        return .validationFailed(["$: missing property 'image'"])
    }
    if let problem = endpointRule(config, isGPU: nil) { return .problem(.badRequest, detail: problem) }
    return .json(EndpointView.json(world.createEndpoint(config: EndpointView.normalized(config), templateID: templateID)), status: .created)
}

private func updateEndpoint(_ endpoint: ServerlessEndpoint, _ object: [String: JSONValue], world: World) -> Reply {
    var changes = object
    if let id = object["templateId"]?.stringValue {
        guard let template = world.template(id: id) else { return .notFound("template") }
        guard template.serverless else { return .validationFailed(["$.templateId: template '\(id)' is not a serverless template"]) }
        changes = TemplateMerge.apply(template, to: object, forCreate: false)
    }
    var merged = endpoint.config
    for (key, value) in changes { merged[key] = value }
    if let problem = endpointRule(merged, isGPU: endpoint.config["gpu"] != nil, changes: changes) { return .problem(.badRequest, detail: problem) }
    let normalized = EndpointView.normalized(merged)
    do throws(WorldError) {
        return .json(EndpointView.json(try world.updateEndpoint(id: endpoint.id, changes: normalized.filter { changes[$0.key] != nil })))
    } catch {
        return restProblem(error)
    }
}

/// The cross-field rules of an endpoint (400): one compute family, a scaler the routing type allows, min ≤ max, one
/// kind of CUDA constraint, ports; an update keeps the compute family.
private func endpointRule(_ config: [String: JSONValue], isGPU: Bool?, changes: [String: JSONValue] = [:]) -> String? {
    if let isGPU {
        if changes["gpu"] != nil && changes["cpu"] != nil { return "send gpu or cpu, not both" }
        if isGPU && changes["cpu"] != nil { return "cpu cannot be set on a GPU endpoint: the compute family is fixed" }
        if !isGPU && changes["gpu"] != nil { return "gpu cannot be set on a CPU endpoint: the compute family is fixed" }
    } else {
        if (config["gpu"] == nil) == (config["cpu"] == nil) { return "exactly one of gpu or cpu must be set" }
    }
    let scaling = config["scaling"]?.objectValue ?? [:]
    switch scaling["type"]?.stringValue {
    case "QUEUE_DELAY":
        if config["type"]?.stringValue == "LOAD_BALANCER" { return "QUEUE_DELAY scaling is for queue-based endpoints only" }
        if scaling["queueDelay"] == nil { return "scaling.queueDelay is required with QUEUE_DELAY" }
    case "REQUEST_COUNT":
        if scaling["requestCount"] == nil { return "scaling.requestCount is required with REQUEST_COUNT" }
    default: break
    }
    if let workers = config["workers"]?.objectValue, let min = workers["min"]?.intValue, let max = workers["max"]?.intValue, min > max {
        return "workers.min must not exceed workers.max"
    }
    if let gpu = config["gpu"]?.objectValue, !(gpu["allowedCudaVersions"]?.arrayValue ?? []).isEmpty, gpu["minCudaVersion"] != nil {
        return "gpu.allowedCudaVersions and gpu.minCudaVersion are mutually exclusive"
    }
    return CreatePodValidation.portViolation(config["ports"])
}
