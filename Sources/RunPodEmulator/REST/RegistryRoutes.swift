import Foundation

/// REST v2 registry credentials (write-only: answers carry only `id` and `name`) and ECR delegations. A credential
/// a live pod pulls with cannot be deleted (400); templates naming it lose the reference instead.
func addRegistryRoutes(to rest: RESTRouter) {
    let world = rest.core.world

    rest.on(.get, "/v2/registries", "listRegistries") { _ in
        .json(["registries": world.registries().map { ["id": $0.id, "name": $0.name] }])
    }

    rest.on(.post, "/v2/registries", "createRegistry") { call in
        switch call.object(ResourceShapes.createRegistry) {
        case .failure(let reply): return reply
        case .success(let object):
            do throws(WorldError) {
                let credential = try world.createRegistry(
                    name: object["name"]?.stringValue ?? "", username: object["username"]?.stringValue ?? "",
                    password: object["password"]?.stringValue ?? "")
                return .json(["id": credential.id, "name": credential.name], status: .created)
            } catch {
                return restProblem(error)
            }
        }
    }

    rest.on(.get, "/v2/registries/{id}", "getRegistry") { call in
        guard let credential = world.registries().first(where: { $0.id == call.parameter() }) else { return .notFound("registry") }
        return .json(["id": credential.id, "name": credential.name])
    }

    rest.on(.delete, "/v2/registries/{id}", "deleteRegistry") { call in
        do throws(WorldError) {
            try world.deleteRegistry(id: call.parameter())
            return .noContent
        } catch {
            return restProblem(error)
        }
    }

    rest.on(.get, "/v2/registries/delegations", "listDelegations") { _ in
        .json(["delegations": world.delegations().map(DelegationView.init)])
    }

    rest.on(.post, "/v2/registries/delegations", "createDelegation") { call in
        switch call.object(ResourceShapes.createDelegation) {
        case .failure(let reply): return reply
        case .success(let object):
            do throws(WorldError) {
                let delegation = try world.createDelegation(resource: object["resource"]?.stringValue ?? "", name: object["name"]?.stringValue)
                return .json(DelegationView(delegation), status: .created)
            } catch {
                return restProblem(error)
            }
        }
    }

    rest.on(.delete, "/v2/registries/delegations/{id}", "revokeDelegation") { call in
        do throws(WorldError) {
            try world.deleteDelegation(id: call.parameter())
            return .noContent
        } catch {
            return restProblem(error)
        }
    }
}

/// REST v2 `EcrDelegation`.
struct DelegationView: Encodable {
    var id: String
    var name: String?
    var delegatorUserId = "user_emulator"
    var awsUser: String
    var repository: String
    var tag: String
    var awsRegion: String
    var dockerRegistryUri: String
    var createdAt: String

    init(_ delegation: ECRDelegation) {
        id = delegation.id
        name = delegation.name
        awsUser = delegation.awsUser
        repository = delegation.repository
        tag = delegation.tag
        awsRegion = delegation.awsRegion
        dockerRegistryUri = "\(delegation.account).dkr.ecr.\(delegation.awsRegion).amazonaws.com/\(delegation.repository):\(delegation.tag)"
        createdAt = JSONCoding.timestamp(delegation.createdAt)
    }

    enum CodingKeys: String, CodingKey { case id, name, delegatorUserId, awsUser, repository, tag, awsRegion, dockerRegistryUri, createdAt }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)  // nullable
        try c.encode(delegatorUserId, forKey: .delegatorUserId)
        try c.encode(awsUser, forKey: .awsUser)
        try c.encode(repository, forKey: .repository)
        try c.encode(tag, forKey: .tag)
        try c.encode(awsRegion, forKey: .awsRegion)
        try c.encode(dockerRegistryUri, forKey: .dockerRegistryUri)
        try c.encode(createdAt, forKey: .createdAt)
    }
}
