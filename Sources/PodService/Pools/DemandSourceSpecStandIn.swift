import TOMLKit

// Stand-in until the demand-sources branch (helper) merges: it replaces this file.
public struct DemandSourceSpec: Sendable, Hashable, Codable {
    public var kind: String
    public static let leases = DemandSourceSpec(kind: "leases")
}

extension DemandSourceSpec {
    init(toml: TOMLTable, pool: String, path: String) throws {
        guard let kind = toml["kind"]?.string else { throw PoolConfigError(path: path, "[pools.\(pool)] source needs a kind.") }
        self.init(kind: kind)
    }
}
