import Foundation
import Hummingbird
import NIOCore

/// REST v2 pod operations: createPod, listPods, getPod, updatePod, deletePod, podAction.
///
/// Cluster members are left out of `listPods` unless `includeClusterPods=true`, and the pod endpoints cannot change
/// or delete them (409): their cluster owns them.
func addPodRoutes(to rest: RESTRouter) {
    let world = rest.core.world

    rest.on(.post, "/v2/pods", "createPod") { call in createPod(call, world: world) }

    rest.on(.get, "/v2/pods", "listPods") { call in
        var include = false
        if let text = call.query.get("includeClusterPods") {
            guard let value = Bool(text) else { return .validationFailed(["query.includeClusterPods: expected boolean"]) }
            include = value
        }
        let now = world.clock.now
        return .json(PodList(pods: world.pods().filter { include || $0.cluster == nil }.map { PodView(record: $0, now: now) }))
    }

    rest.on(.get, "/v2/pods/{id}", "getPod") { call in
        guard let pod = world.pod(id: call.parameter()) else { return .notFound("pod") }
        return .json(PodView(record: pod, now: world.clock.now))
    }

    rest.on(.patch, "/v2/pods/{id}", "updatePod") { call in updatePod(call, world: world) }

    rest.on(.delete, "/v2/pods/{id}", "deletePod") { call in
        let id = call.parameter()
        if let refusal = clusterRefusal(id, world: world, verb: "terminated") { return refusal }
        do throws(WorldError) {
            try world.terminate(id: id)
            return .noContent
        } catch {
            return restProblem(error)
        }
    }

    rest.on(.post, "/v2/pods/{id}/action", "podAction") { call in podAction(call, world: world) }
}

struct PodList: Encodable {
    var pods: [PodView]
}

/// 409 for a cluster member: the pod endpoints cannot modify or delete it.
func clusterRefusal(_ id: String, world: World, verb: String) -> Reply? {
    guard let cluster = world.pod(id: id)?.cluster else { return nil }
    return .problem(.conflict, detail: "pod belongs to cluster \(cluster.clusterID) and cannot be \(verb) via the pod endpoints")
}

private func createPod(_ call: RESTCall, world: World) -> Reply {
    let json: JSONValue
    switch call.json() {
    case .failure(let reply): return reply
    case .success(let value): json = value
    }
    let violations = CreatePodValidation.contractViolations(json)
    guard violations.isEmpty, var object = json.objectValue else { return .validationFailed(violations) }
    if let templateID = object["templateId"]?.stringValue {
        switch TemplateMerge.resolve(templateID, world: world) {
        case .failure(let reply): return reply
        case .success(let template): object = TemplateMerge.apply(template, to: object, forCreate: true)
        }
        if TemplateMerge.tooLarge(object) { return RESTGate.tooLarge }
    }
    if let rule = CreatePodValidation.ruleViolation(object) { return .problem(.badRequest, detail: rule) }
    guard CreatePodValidation.cudaConstraintAdmitsMachines(object) else { return .problem(.badRequest, detail: noCapacityMessage) }
    do throws(WorldError) {
        let pod = try world.createPod(CreatePodValidation.creation(from: object), api: .rest, rawRequest: json, apiKey: call.key)
        return .json(PodView(record: pod, now: world.clock.now), status: .created)
    } catch {
        return restProblem(error)
    }
}

private func podAction(_ call: RESTCall, world: World) -> Reply {
    let id = call.parameter()
    let action: String
    switch call.object(PodShapes.action) {
    case .failure(let reply): return reply
    case .success(let object): action = object["action"]?.stringValue ?? ""
    }
    guard let pod = world.pod(id: id) else { return .notFound("pod") }
    if let refusal = clusterRefusal(id, world: world, verb: "modified") { return refusal }
    guard PodView.actions(of: pod).contains(action) else {
        let reason = pod.locked && ["stop", "restart"].contains(action) ? "the pod is locked" : "the pod is \(pod.status.rawValue)"
        return .problem(.conflict, detail: "action '\(action)' is not valid: \(reason)")
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
    case .missing(let message): .problem(.notFound, detail: message)
    }
}
