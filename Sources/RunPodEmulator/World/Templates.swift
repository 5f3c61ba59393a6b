import Foundation

/// A pod or serverless template: container settings a create can start from (RunPod's `Template`).
///
/// The account's own templates are created through REST; the public catalog (`GET /v2/catalog/templates`) is part of
/// the scenario. Either kind can be read by ID and used as `templateId`; only owned ones can be changed or deleted.
public struct PodTemplate: Codable, Sendable, Hashable {
    /// Host-local persistent storage a template asks for.
    public struct Persistent: Codable, Sendable, Hashable {
        /// GB (≥ 10).
        public var size: Int
        /// Mount path.
        public var path: String

        /// Creates a persistent mount.
        public init(size: Int, path: String) {
            self.size = size
            self.path = path
        }
    }

    /// Template ID.
    public var id: String
    /// Name.
    public var name: String
    /// Container image.
    public var image: String
    /// Stored start command (see `ContainerCommand`).
    public var args: String
    /// Container disk in GB.
    public var disk: Int
    /// Exposed ports.
    public var ports: [String]
    /// Environment variables.
    public var env: [String: String]
    /// Registry credential ID, or nil.
    public var registry: String?
    /// Persistent mount, or nil.
    public var persistent: Persistent?
    /// For serverless workers (true) or pods (false).
    public var serverless: Bool
    /// Visible to other users.
    public var isPublic: Bool
    /// `CPU`, `NVIDIA` or `AMD`.
    public var category: String
    /// Inject `PUBLIC_KEY`.
    public var startSsh: Bool
    /// Inject `JUPYTER_PASSWORD`.
    public var startJupyter: Bool
    /// Acceptable CUDA versions; empty means any.
    public var allowedCudaVersions: [String]
    /// For catalog templates: `official`, `verified` or `community`; nil for the account's own.
    public var catalogSource: String?

    /// Creates a template.
    public init(
        id: String, name: String, image: String, args: String = "", disk: Int = 20, ports: [String] = [], env: [String: String] = [:],
        registry: String? = nil, persistent: Persistent? = nil, serverless: Bool = false, isPublic: Bool = false,
        category: String = "NVIDIA", startSsh: Bool = true, startJupyter: Bool = true, allowedCudaVersions: [String] = [],
        catalogSource: String? = nil
    ) {
        self.id = id
        self.name = name
        self.image = image
        self.args = args
        self.disk = disk
        self.ports = ports
        self.env = env
        self.registry = registry
        self.persistent = persistent
        self.serverless = serverless
        self.isPublic = isPublic
        self.category = category
        self.startSsh = startSsh
        self.startJupyter = startJupyter
        self.allowedCudaVersions = allowedCudaVersions
        self.catalogSource = catalogSource
    }

    /// Whether the account owns it (catalog templates are read-only).
    var owned: Bool { catalogSource == nil }
}

/// A container registry credential. The username and password are write-only: no answer carries them.
struct RegistryCredential: Sendable, Hashable {
    var id: String
    var name: String
    var username: String
    var password: String
}

/// An ECR pull delegation (`EcrDelegation`).
struct ECRDelegation: Sendable, Hashable {
    var id: String
    var name: String?
    var awsUser: String
    var repository: String
    var tag: String
    var awsRegion: String
    var account: String
    var createdAt: Date
}
