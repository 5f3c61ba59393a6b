import Foundation

/// The account: registered SSH keys, templates, registry credentials and ECR delegations.
extension World {
    /// The registered SSH public keys, in the order they were registered.
    func sshKeys() -> [String] { state.withLock { $0.sshKeys } }

    /// Replaces the registered SSH keys (pods created afterwards get them; running pods keep theirs).
    func setSSHKeys(_ keys: [String]) -> [String] {
        state.withLock { world in
            var seen = Set<String>()
            world.sshKeys = keys.filter { seen.insert($0).inserted }
            return world.sshKeys
        }
    }

    // MARK: Templates

    /// The account's own templates, oldest first.
    func templates() -> [PodTemplate] { state.withLock { $0.templates } }

    /// The public catalog templates of one source (`official`, `verified`, `community`).
    func publicTemplates(source: String) -> [PodTemplate] { state.withLock { $0.publicTemplates.filter { $0.catalogSource == source } } }

    /// A template the account can read (its own or a public one); nil when unknown.
    func template(id: String) -> PodTemplate? {
        state.withLock { world in world.templates.first { $0.id == id } ?? world.publicTemplates.first { $0.id == id } }
    }

    /// Stores a new template under a fresh ID. Names are unique per account; a registry must exist.
    func createTemplate(_ template: PodTemplate) throws(WorldError) -> PodTemplate {
        try state.withLock { (world: inout WorldState) throws(WorldError) -> PodTemplate in
            try world.checkTemplate(template, replacing: nil)
            var stored = template
            stored.id = world.random.identifier(length: 10)
            stored.catalogSource = nil
            world.templates.append(stored)
            return stored
        }
    }

    /// Changes one of the account's templates; `notFound` for unknown and public ones.
    func updateTemplate(id: String, _ change: (inout PodTemplate) -> Void) throws(WorldError) -> PodTemplate {
        try state.withLock { (world: inout WorldState) throws(WorldError) -> PodTemplate in
            guard let index = world.templates.firstIndex(where: { $0.id == id }) else { throw .missing("template not found") }
            var template = world.templates[index]
            change(&template)
            try world.checkTemplate(template, replacing: id)
            world.templates[index] = template
            return template
        }
    }

    /// Deletes one of the account's templates, unless a serverless endpoint is bound to it.
    func deleteTemplate(id: String) throws(WorldError) {
        try state.withLock { (world: inout WorldState) throws(WorldError) in
            guard let index = world.templates.firstIndex(where: { $0.id == id }) else { throw .missing("template not found") }
            if let endpoint = world.endpoints.first(where: { $0.templateID == id }) {
                throw .invalid("template is in use by serverless endpoint \(endpoint.id) and cannot be deleted")
            }
            world.templates.remove(at: index)
        }
    }

    // MARK: Registries

    /// Registry credentials, oldest first.
    func registries() -> [RegistryCredential] { state.withLock { $0.registries } }

    /// Stores a registry credential; names are unique per account.
    func createRegistry(name: String, username: String, password: String) throws(WorldError) -> RegistryCredential {
        try state.withLock { (world: inout WorldState) throws(WorldError) -> RegistryCredential in
            if world.registries.contains(where: { $0.name == name }) { throw .invalid("a registry credential named '\(name)' already exists") }
            let credential = RegistryCredential(id: world.random.identifier(length: 10), name: name, username: username, password: password)
            world.registries.append(credential)
            return credential
        }
    }

    /// Deletes a credential unless a live pod pulls with it; templates that name it lose the reference.
    func deleteRegistry(id: String) throws(WorldError) {
        let now = clock.now
        let scale = timeScale
        try state.withLock { (world: inout WorldState) throws(WorldError) in
            guard let index = world.registries.firstIndex(where: { $0.id == id }) else { throw .missing("registry not found") }
            for podID in world.podOrder {
                world.advance(id: podID, now: now, timeScale: scale)
                if let pod = world.pods[podID]?.record, pod.alive, pod.creation.registry == id {
                    throw .invalid("registry credential is in use by pod \(podID) and cannot be deleted")
                }
            }
            world.registries.remove(at: index)
            for template in world.templates.indices where world.templates[template].registry == id { world.templates[template].registry = nil }
        }
    }

    /// ECR delegations, oldest first.
    func delegations() -> [ECRDelegation] { state.withLock { $0.delegations } }

    /// Registers a delegation for an ECR repository ARN (`arn:aws:ecr:REGION:ACCOUNT:repository/NAME[:TAG]`).
    func createDelegation(resource: String, name: String?) throws(WorldError) -> ECRDelegation {
        let parts = resource.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "ecr", !parts[3].isEmpty, parts[4].count == 12,
            parts[5].hasPrefix("repository/"), parts[5].count > "repository/".count
        else { throw .invalid("resource must be an ECR repository ARN: arn:aws:ecr:<region>:<account>:repository/<name>") }
        let repositoryAndTag = parts[5].dropFirst("repository/".count).split(separator: ":", maxSplits: 1)
        let now = clock.now
        return state.withLock { world in
            let delegation = ECRDelegation(
                id: world.random.identifier(length: 10), name: name, awsUser: "arn:aws:iam::\(parts[4]):user/runpod-ecr-pull",
                repository: String(repositoryAndTag[0]), tag: repositoryAndTag.count > 1 ? String(repositoryAndTag[1]) : "latest",
                awsRegion: String(parts[3]), account: String(parts[4]), createdAt: now)
            world.delegations.append(delegation)
            return delegation
        }
    }

    /// Revokes a delegation.
    func deleteDelegation(id: String) throws(WorldError) {
        try state.withLock { (world: inout WorldState) throws(WorldError) in
            guard let index = world.delegations.firstIndex(where: { $0.id == id }) else { throw .missing("delegation not found") }
            world.delegations.remove(at: index)
        }
    }
}

extension WorldState {
    /// Template rules: unique names, an existing registry.
    func checkTemplate(_ template: PodTemplate, replacing id: String?) throws(WorldError) {
        if templates.contains(where: { $0.name == template.name && $0.id != id }) {
            throw .invalid("a template named '\(template.name)' already exists")
        }
        if let registry = template.registry, !registries.contains(where: { $0.id == registry }) {
            throw .invalid("registry credential '\(registry)' does not exist")
        }
    }
}
