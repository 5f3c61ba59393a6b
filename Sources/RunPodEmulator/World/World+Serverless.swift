import Foundation

/// Serverless endpoints: stored configurations with a release history. The emulator runs no serverless workers.
extension World {
    /// Endpoints, oldest first.
    func endpoints() -> [ServerlessEndpoint] { state.withLock { $0.endpoints } }

    /// One endpoint; nil when unknown.
    func endpoint(id: String) -> ServerlessEndpoint? { state.withLock { w in w.endpoints.first { $0.id == id } } }

    /// Stores a new endpoint; its first release is version 1.
    func createEndpoint(config: [String: JSONValue], templateID: String?) -> ServerlessEndpoint {
        let now = clock.now
        return state.withLock { world in
            let release = ServerlessEndpoint.Release(id: world.random.identifier(length: 10), version: 1, createdAt: now, diff: [])
            let endpoint = ServerlessEndpoint(
                id: world.random.identifier(), createdAt: now, config: config, templateID: templateID, releases: [release])
            world.endpoints.append(endpoint)
            return endpoint
        }
    }

    /// Applies a PATCH: top-level fields replace the stored ones; a change to a release field makes a new release.
    func updateEndpoint(id: String, changes: [String: JSONValue]) throws(WorldError) -> ServerlessEndpoint {
        let now = clock.now
        return try state.withLock { (world: inout WorldState) throws(WorldError) -> ServerlessEndpoint in
            guard let index = world.endpoints.firstIndex(where: { $0.id == id }) else { throw .missing("serverless endpoint not found") }
            var endpoint = world.endpoints[index]
            var diff: [ServerlessEndpoint.Change] = []
            for (field, value) in changes.sorted(by: { $0.key < $1.key }) where endpoint.config[field] != value {
                if ServerlessEndpoint.releaseFields.contains(field) {
                    diff.append(ServerlessEndpoint.Change(field: field, old: endpoint.config[field] ?? .null, new: value))
                }
                endpoint.config[field] = value
            }
            if !diff.isEmpty {
                endpoint.releases.append(
                    ServerlessEndpoint.Release(id: world.random.identifier(length: 10), version: endpoint.version + 1, createdAt: now, diff: diff))
            }
            world.endpoints[index] = endpoint
            return endpoint
        }
    }

    /// Deletes an endpoint (and, as RunPod does, the template bound to it).
    func deleteEndpoint(id: String) throws(WorldError) {
        try state.withLock { (world: inout WorldState) throws(WorldError) in
            guard let index = world.endpoints.firstIndex(where: { $0.id == id }) else { throw .missing("serverless endpoint not found") }
            let endpoint = world.endpoints.remove(at: index)
            if let template = endpoint.templateID { world.templates.removeAll { $0.id == template } }
        }
    }
}
