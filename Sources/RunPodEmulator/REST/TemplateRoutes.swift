import Foundation

/// REST v2 templates: the account's own (list, create, get, update, delete) and the public catalog
/// (`GET /v2/catalog/templates?source=official|verified|community`). `GET /v2/templates/{id}` reads both kinds;
/// update and delete answer 404 for catalog templates. Names are unique per account (400), a `registry` must exist
/// (400), and a template bound to a serverless endpoint cannot be deleted (400).
func addTemplateRoutes(to rest: RESTRouter) {
    let world = rest.core.world

    rest.on(.get, "/v2/templates", "listTemplates") { _ in
        .json(["templates": world.templates().map(TemplateView.init)])
    }

    rest.on(.post, "/v2/templates", "createTemplate") { call in
        switch call.object(ResourceShapes.createTemplate) {
        case .failure(let reply): return reply
        case .success(let object):
            var template = PodTemplate(id: "", name: "", image: "")
            if let problem = apply(object, to: &template) { return problem }
            do throws(WorldError) {
                return .json(TemplateView(try world.createTemplate(template)), status: .created)
            } catch {
                return restProblem(error)
            }
        }
    }

    rest.on(.get, "/v2/templates/{id}", "getTemplate") { call in
        guard let template = world.template(id: call.parameter()) else { return .notFound("template") }
        return .json(TemplateView(template))
    }

    rest.on(.patch, "/v2/templates/{id}", "updateTemplate") { call in
        switch call.object(ResourceShapes.updateTemplate) {
        case .failure(let reply): return reply
        case .success(let object):
            guard var template = world.templates().first(where: { $0.id == call.parameter() }) else { return .notFound("template") }
            if let problem = apply(object, to: &template) { return problem }
            do throws(WorldError) {
                return .json(TemplateView(try world.updateTemplate(id: template.id) { $0 = template }))
            } catch {
                return restProblem(error)
            }
        }
    }

    rest.on(.delete, "/v2/templates/{id}", "deleteTemplate") { call in
        do throws(WorldError) {
            try world.deleteTemplate(id: call.parameter())
            return .noContent
        } catch {
            return restProblem(error)
        }
    }

    rest.on(.get, "/v2/catalog/templates", "listPublicTemplates") { call in
        let source = call.query.get("source") ?? "official"
        guard ["official", "verified", "community"].contains(source) else {
            return .validationFailed(["query.source: value must be one of 'official', 'verified', 'community'"])
        }
        return .json(["templates": world.publicTemplates(source: source).prefix(100).map(TemplateView.init)])
    }
}

/// Copies a create or update body's fields onto a template; a 400 for bad ports or a shell string that cannot split.
private func apply(_ object: [String: JSONValue], to template: inout PodTemplate) -> Reply? {
    if let problem = CreatePodValidation.portViolation(object["ports"]) { return .problem(.badRequest, detail: problem) }
    if let args = object["args"]?.stringValue, ContainerCommand.parse(args: args) == nil {
        return .problem(.badRequest, detail: "args: unterminated quote or trailing backslash in '\(args)'")
    }
    if let name = object["name"]?.stringValue { template.name = name }
    if let image = object["image"]?.stringValue { template.image = image }
    if let args = object["args"]?.stringValue { template.args = args }
    if let disk = object["disk"]?.intValue { template.disk = disk }
    if let ports = object["ports"]?.arrayValue { template.ports = ports.compactMap(\.stringValue) }
    if let env = object["env"]?.objectValue { template.env = env.compactMapValues(\.stringValue) }
    if let registry = object["registry"] { template.registry = registry.stringValue }
    if let persistent = object["mounts"]?["persistent"]?.objectValue {
        template.persistent = PodTemplate.Persistent(size: persistent["size"]?.intValue ?? 10, path: persistent["path"]?.stringValue ?? "/workspace")
    }
    if let serverless = object["serverless"]?.boolValue { template.serverless = serverless }
    if let isPublic = object["public"]?.boolValue { template.isPublic = isPublic }
    if let category = object["category"]?.stringValue { template.category = category }
    if let ssh = object["startSsh"]?.boolValue { template.startSsh = ssh }
    if let jupyter = object["startJupyter"]?.boolValue { template.startJupyter = jupyter }
    if let versions = object["allowedCudaVersions"]?.arrayValue { template.allowedCudaVersions = versions.compactMap(\.stringValue) }
    return nil
}

/// REST v2 `Template`. Catalog templates never show a registry.
struct TemplateView: Encodable {
    var id: String
    var name: String
    var image: String
    var args: String
    var disk: Int
    var mounts: [String: MountsView.Persistent]
    var ports: [String]
    var env: [String: String]
    var registry: String?
    var serverless: Bool
    var `public`: Bool
    var category: String
    var startSsh: Bool
    var startJupyter: Bool
    var allowedCudaVersions: [String]

    init(_ template: PodTemplate) {
        id = template.id
        name = template.name
        image = template.image
        args = template.args
        disk = template.disk
        mounts = template.persistent.map { ["persistent": MountsView.Persistent(size: $0.size, path: $0.path)] } ?? [:]
        ports = template.ports
        env = template.env
        registry = template.owned ? template.registry : nil
        serverless = template.serverless
        self.public = template.isPublic
        category = template.category
        startSsh = template.startSsh
        startJupyter = template.startJupyter
        allowedCudaVersions = template.allowedCudaVersions
    }

    enum CodingKeys: String, CodingKey {
        case id, name, image, args, disk, mounts, ports, env, registry, serverless, `public`, category, startSsh, startJupyter, allowedCudaVersions
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(image, forKey: .image)
        try c.encode(args, forKey: .args)
        try c.encode(disk, forKey: .disk)
        try c.encode(mounts, forKey: .mounts)
        try c.encode(ports, forKey: .ports)
        try c.encode(env, forKey: .env)
        try c.encode(registry, forKey: .registry)  // required and nullable
        try c.encode(serverless, forKey: .serverless)
        try c.encode(self.public, forKey: .public)
        try c.encode(category, forKey: .category)
        try c.encode(startSsh, forKey: .startSsh)
        try c.encode(startJupyter, forKey: .startJupyter)
        try c.encode(allowedCudaVersions, forKey: .allowedCudaVersions)
    }
}
