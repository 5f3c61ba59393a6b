import Foundation

/// REST v2 clusters: `podCount` identical member pods in one data center (Secure Cloud), created together, listed
/// through `/v2/clusters/{id}/pods` (and `GET /v2/pods?includeClusterPods=true`), renamed by PATCH, and terminated
/// together by DELETE. Member pods carry `cluster {id, rank, role?, ip}`; the pod endpoints cannot change them.
func addClusterRoutes(to rest: RESTRouter) {
    let world = rest.core.world

    rest.on(.get, "/v2/clusters", "listClusters") { _ in
        .json(["clusters": world.clusters().map { ClusterView($0, world: world) }])
    }

    rest.on(.post, "/v2/clusters", "createCluster") { call in
        switch call.object(ResourceShapes.createCluster) {
        case .failure(let reply): return reply
        case .success(let object): return createCluster(object, key: call.key, world: world)
        }
    }

    rest.on(.get, "/v2/clusters/{id}", "getCluster") { call in
        guard let cluster = world.cluster(id: call.parameter()) else { return .notFound("cluster") }
        return .json(ClusterView(cluster, world: world))
    }

    rest.on(.patch, "/v2/clusters/{id}", "updateCluster") { call in
        switch call.object(ResourceShapes.updateCluster) {
        case .failure(let reply): return reply
        case .success(let object):
            guard let cluster = world.cluster(id: call.parameter()) else { return .notFound("cluster") }
            guard let name = object["name"]?.stringValue else { return .json(ClusterView(cluster, world: world)) }
            do throws(WorldError) {
                return .json(ClusterView(try world.renameCluster(id: cluster.id, to: name), world: world))
            } catch {
                return restProblem(error)
            }
        }
    }

    rest.on(.delete, "/v2/clusters/{id}", "deleteCluster") { call in
        do throws(WorldError) {
            try world.deleteCluster(id: call.parameter())
            return .noContent
        } catch {
            return restProblem(error)
        }
    }

    rest.on(.get, "/v2/clusters/{id}/pods", "listClusterPods") { call in
        guard let cluster = world.cluster(id: call.parameter()) else { return .notFound("cluster") }
        let now = world.clock.now
        return .json(PodList(pods: world.members(of: cluster).map { PodView(record: $0, now: now) }))
    }
}

private func createCluster(_ object: [String: JSONValue], key: String, world: World) -> Reply {
    let compute = object["compute"]?.objectValue ?? [:]
    var body = object
    for field in ["compute", "type"] { body[field] = nil }
    body["gpu"] = ["id": compute["gpuTypeId"] ?? "", "count": compute["gpuCountPerPod"] ?? 1]
    if let rule = CreatePodValidation.ruleViolation(body) { return .problem(.badRequest, detail: rule) }
    let request = ClusterCreation(
        name: object["name"]?.stringValue ?? "", type: object["type"]?.stringValue ?? "APPLICATION",
        gpuTypeID: compute["gpuTypeId"]?.stringValue ?? "", gpuCountPerPod: compute["gpuCountPerPod"]?.intValue ?? 1,
        podCount: compute["podCount"]?.intValue ?? 2, templateID: nil, member: CreatePodValidation.creation(from: body))
    do throws(WorldError) {
        return .json(ClusterView(try world.createCluster(request, apiKey: key), world: world), status: .created)
    } catch {
        return restProblem(error)
    }
}

/// REST v2 `Cluster`: identity and shape, a summary of the members by status, the overlay network and the primary.
struct ClusterView: Encodable {
    struct Compute: Encodable {
        var gpuTypeId: String
        var gpuCountPerPod: Int
        var podCount: Int
    }

    struct Pods: Encodable {
        var total: Int
        var byStatus: [String: Int]
    }

    struct Network: Encodable {
        var cidr: String
        var vxlanId: Int
        var vxlanPort: Int
    }

    struct Primary: Encodable {
        var podId: String
        var status: String
        var sshEndpoint: String?
    }

    var id: String
    var name: String
    var type: String
    var compute: Compute
    var dataCenterId: String
    var pods: Pods
    var network: Network
    var primary: Primary?
    var createdAt: String

    init(_ cluster: ClusterRecord, world: World) {
        let members = world.members(of: cluster)
        id = cluster.id
        name = cluster.name
        type = cluster.type
        compute = Compute(gpuTypeId: cluster.gpuTypeID, gpuCountPerPod: cluster.gpuCountPerPod, podCount: cluster.podCount)
        dataCenterId = cluster.dataCenterID
        pods = Pods(total: members.count, byStatus: Dictionary(grouping: members, by: \.status.rawValue).mapValues(\.count))
        network = Network(cidr: cluster.cidr, vxlanId: cluster.vxlanID, vxlanPort: cluster.vxlanPort)
        primary = members.first { $0.cluster?.rank == 0 }.map { pod in
            let ssh = pod.runtimePorts.first { $0.privatePort == 22 && $0.type == "tcp" }
            return Primary(podId: pod.id, status: pod.status.rawValue, sshEndpoint: ssh.map { "\($0.ip):\($0.publicPort)" })
        }
        createdAt = JSONCoding.timestamp(cluster.createdAt)
    }
}
