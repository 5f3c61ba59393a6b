import Foundation
import Hummingbird
import NIOCore

/// REST v2 pod operations: createPod, listPods, getPod, deletePod, podAction.
func addPodRoutes(to router: Router<EmulatorRequestContext>, core: EmulatorCore) {
    let world = core.world

    router.post("/v2/pods") { request, context in
        let body = try await request.body.collect(upTo: 1 << 20)
        return try await core.rest("createPod", request: request, context: context) { key in
            createPod(body: body, key: key, world: world)
        }
    }

    router.get("/v2/pods") { request, context in
        try await core.rest("listPods", request: request, context: context) { _ in
            let now = world.clock.now
            return .json(PodList(pods: world.pods().map { PodView(record: $0, now: now) }))
        }
    }

    router.get("/v2/pods/{id}") { request, context in
        let id = context.parameters.get("id") ?? ""
        return try await core.rest("getPod", request: request, context: context) { _ in
            guard let pod = world.pod(id: id) else { return .problem(.notFound, detail: "pod not found") }
            return .json(PodView(record: pod, now: world.clock.now))
        }
    }

    router.delete("/v2/pods/{id}") { request, context in
        let id = context.parameters.get("id") ?? ""
        return try await core.rest("deletePod", request: request, context: context) { _ in
            do throws(WorldError) {
                try world.terminate(id: id)
                return .noContent
            } catch {
                return restProblem(error)
            }
        }
    }

    router.post("/v2/pods/{id}/action") { request, context in
        let id = context.parameters.get("id") ?? ""
        let body = try await request.body.collect(upTo: 1 << 16)
        return try await core.rest("podAction", request: request, context: context) { _ in
            podAction(id: id, body: body, world: world)
        }
    }
}

struct PodList: Encodable {
    var pods: [PodView]
}

private func createPod(body: ByteBuffer, key: String, world: World) -> Reply {
    guard let json = JSONValue.parse(Data(buffer: body)) else {
        return .problem(.badRequest, detail: "request body is not valid JSON")
    }
    let violations = CreatePodValidation.contractViolations(json)
    guard violations.isEmpty, let object = json.objectValue else {
        return .problem(.unprocessableContent, detail: "Request validation failed.", errors: violations)
    }
    if let rule = CreatePodValidation.ruleViolation(object) { return .problem(.badRequest, detail: rule) }
    if object["templateId"] != nil { return .problem(.notFound, detail: "template not found") }
    guard CreatePodValidation.cudaConstraintAdmitsMachines(object) else { return .problem(.badRequest, detail: noCapacityMessage) }
    do throws(WorldError) {
        let pod = try world.createPod(CreatePodValidation.creation(from: object), api: .rest, rawRequest: json, apiKey: key)
        return .json(PodView(record: pod, now: world.clock.now), status: .created)
    } catch {
        return restProblem(error)
    }
}

private func podAction(id: String, body: ByteBuffer, world: World) -> Reply {
    guard let json = JSONValue.parse(Data(buffer: body)) else {
        return .problem(.badRequest, detail: "request body is not valid JSON")
    }
    var errors: [String] = []
    if let object = json.objectValue {
        for key in object.keys.sorted() where key != "action" { errors.append("$: additional properties '\(key)' not allowed") }
        if object["action"] == nil { errors.append("$: missing property 'action'") }
        CreatePodValidation.expect(object, "action", "$.action", .enumeration(["start", "stop", "restart", "terminate"]), &errors)
    } else {
        errors.append("$: expected object, got \(json.typeName)")
    }
    guard errors.isEmpty, let action = json["action"]?.stringValue else {
        return .problem(.unprocessableContent, detail: "Request validation failed.", errors: errors)
    }
    guard let pod = world.pod(id: id) else { return .problem(.notFound, detail: "pod not found") }
    guard pod.status.actions.contains(action) else {
        return .problem(.conflict, detail: "action '\(action)' is not valid for a pod in status \(pod.status.rawValue)")
    }
    do throws(WorldError) {
        let updated: PodRecord
        switch action {
        case "terminate":
            try world.terminate(id: id)
            return .noContent
        case "stop": updated = try world.stop(id: id)
        case "restart": updated = try world.restart(id: id)
        default: updated = try world.resume(id: id)
        }
        return .json(PodView(record: updated, now: world.clock.now))
    } catch {
        return restProblem(error)
    }
}

/// How REST v2 answers each world refusal.
func restProblem(_ error: WorldError) -> Reply {
    switch error {
    case .noCapacity: .problem(.badRequest, detail: noCapacityMessage)
    case .invalid(let message): .problem(.badRequest, detail: message)
    case .insufficientBalance:
        .problem(HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required"), detail: "insufficient balance to create this pod")
    case .notFound: .problem(.notFound, detail: "pod not found")
    case .forbidden: .problem(.forbidden, detail: "access denied")
    case .conflict(let message): .problem(.conflict, detail: message)
    }
}
