// Stand-in until the demand-sources branch (helper) merges: it replaces this file.
public struct DemandSourceSpec: Sendable, Hashable, Codable {
    public var kind: String
    public static let leases = DemandSourceSpec(kind: "leases")
}
