import Foundation

/// A serverless endpoint. Its configuration is kept as the documented `Endpoint` fields (without `id`, `createdAt` and
/// `requestUrls`, which are derived); every change of a container setting makes a new release.
struct ServerlessEndpoint: Sendable, Hashable {
    struct Release: Sendable, Hashable {
        var id: String
        var version: Int
        var createdAt: Date
        /// `(field, old, new)` per changed field.
        var diff: [Change]
    }

    struct Change: Sendable, Hashable {
        var field: String
        var old: JSONValue
        var new: JSONValue
    }

    var id: String
    var createdAt: Date
    var config: [String: JSONValue]
    var templateID: String?
    var releases: [Release]
    var version: Int { releases.last?.version ?? 1 }

    /// Fields whose change rolls out as a new release (container settings and compute), as opposed to autoscaler settings.
    static let releaseFields: Set<String> = ["image", "args", "disk", "ports", "env", "registry", "gpu", "cpu", "dataCenterIds", "networkVolumes"]
}
