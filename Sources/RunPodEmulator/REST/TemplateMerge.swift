import Foundation

/// Applies a template to a pod create or PATCH body, as RunPod resolves `templateId`: the template's settings fill
/// what the body leaves out, body fields win, except `env`, merged per key with the body's values winning. The pod
/// keeps no link to the template.
enum TemplateMerge {
    /// The body with the template's settings spread in. `forCreate` also brings the persistent mount, `startSsh`,
    /// `startJupyter` and the CUDA constraint (a PATCH applies only container settings).
    static func apply(_ template: PodTemplate, to body: [String: JSONValue], forCreate: Bool) -> [String: JSONValue] {
        var merged = body
        merged["templateId"] = nil
        if merged["image"] == nil { merged["image"] = .string(template.image) }
        if merged["args"] == nil && merged["entrypoint"] == nil && merged["cmd"] == nil && !template.args.isEmpty {
            merged["args"] = .string(template.args)
        }
        if merged["disk"] == nil { merged["disk"] = .int(template.disk) }
        if merged["ports"] == nil { merged["ports"] = .array(template.ports.map(JSONValue.string)) }
        if merged["registry"] == nil, let registry = template.registry { merged["registry"] = .string(registry) }
        var env = template.env.mapValues(JSONValue.string)
        for (key, value) in body["env"]?.objectValue ?? [:] { env[key] = value }
        if !env.isEmpty || body["env"] != nil { merged["env"] = .object(env) }
        guard forCreate else { return merged }
        if merged["mounts"] == nil, merged["gpu"] != nil, let persistent = template.persistent {
            merged["mounts"] = ["persistent": ["size": .int(persistent.size), "path": .string(persistent.path)]]
        }
        if merged["startSsh"] == nil { merged["startSsh"] = .bool(template.startSsh) }
        if merged["startJupyter"] == nil { merged["startJupyter"] = .bool(template.startJupyter) }
        // Sending either CUDA field replaces the template's constraint entirely.
        if var gpu = merged["gpu"]?.objectValue, gpu["allowedCudaVersions"] == nil, gpu["minCudaVersion"] == nil,
            !template.allowedCudaVersions.isEmpty
        {
            gpu["allowedCudaVersions"] = .array(template.allowedCudaVersions.map(JSONValue.string))
            merged["gpu"] = .object(gpu)
        }
        return merged
    }

    /// The template a body names, or the answer RunPod gives: 404 unknown, 422 for a serverless template on a pod.
    static func resolve(_ id: String, world: World) -> Result<PodTemplate, Reply> {
        guard let template = world.template(id: id) else { return .failure(.notFound("template")) }
        guard !template.serverless else {
            return .failure(.validationFailed(["$.templateId: template '\(id)' is a serverless template; pods need a pod template"]))
        }
        return .success(template)
    }

    /// Whether a deployment (a body with its template spread in) exceeds RunPod's 102,400-byte limit.
    static func tooLarge(_ deployment: [String: JSONValue]) -> Bool {
        ((try? JSONCoding.encoder.encode(JSONValue.object(deployment)))?.count ?? 0) > RESTGate.bodyLimit
    }
}
