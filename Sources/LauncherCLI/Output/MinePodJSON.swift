import Foundation
import PodLauncher

/// One pod of `list --mine --json`: every key of ``PodJSON`` plus `createdAt`, `ageSeconds`, `orphaned`, `launchId`
/// and `owner: {state, pid, host, releasedAt}` (`state` is `live`, `otherMachine`, `launcherGone`, `kept` or
/// `noLocalRecord`; the other owner keys are null without a local record). Every key is always present.
struct MinePodJSON: Encodable {
    struct Owner: Encodable {
        var state: String
        var pid: Int32?
        var host: String?
        var releasedAt: String?

        private enum CodingKeys: String, CodingKey { case state, pid, host, releasedAt }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(state, forKey: .state)
            try container.encode(pid, forKey: .pid)
            try container.encode(host, forKey: .host)
            try container.encode(releasedAt, forKey: .releasedAt)
        }
    }

    var pod: PodJSON
    var createdAt: String?
    var ageSeconds: Int64?
    var orphaned: Bool
    var launchId: String?
    var owner: Owner

    init(_ mine: MinePod, now: Date) {
        pod = PodJSON(mine.pod, ready: nil, urls: [:])
        createdAt = mine.createdAt.map { $0.formatted(Date.ISO8601FormatStyle()) }
        ageSeconds = mine.age(at: now).map { $0.components.seconds }
        orphaned = mine.isOrphaned
        launchId = mine.record?.launchID
        let record = mine.record
        owner = Owner(
            state: MineText.ownerState(mine.ownership), pid: record?.owner.pid, host: record?.owner.host,
            releasedAt: record?.releasedAt.map { $0.formatted(Date.ISO8601FormatStyle()) })
    }

    private enum CodingKeys: String, CodingKey { case createdAt, ageSeconds, orphaned, launchId, owner }

    /// Flat: the pod's keys and ours in one object, so `jq '.pods[] | select(.orphaned) | .id'` works.
    func encode(to encoder: any Encoder) throws {
        try pod.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(ageSeconds, forKey: .ageSeconds)
        try container.encode(orphaned, forKey: .orphaned)
        try container.encode(launchId, forKey: .launchId)
        try container.encode(owner, forKey: .owner)
    }
}

/// `list --mine --json`: the pods, where the ledger lives, and the records just pruned.
struct MinePodListJSON: Encodable {
    var pods: [MinePodJSON]
    /// The ledger directory (null when there is none: no HOME and no XDG_STATE_HOME).
    var ledger: String?
    var prunedRecords: [String]

    private enum CodingKeys: String, CodingKey { case pods, ledger, prunedRecords }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pods, forKey: .pods)
        try container.encode(ledger, forKey: .ledger)
        try container.encode(prunedRecords, forKey: .prunedRecords)
    }
}
