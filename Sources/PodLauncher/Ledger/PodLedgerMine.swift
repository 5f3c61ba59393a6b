import Foundation
import RunPodAPI

/// A pod this tool created (it carries the `RUNPOD_LAUNCHER` mark, or this machine's ledger has a record of it),
/// with who, if anyone, is looking after it.
public struct MinePod: Sendable, Hashable {
    /// The pod as RunPod reports it now.
    public var pod: Pod
    /// When RunPod created it (its `createdAt`), else when the ledger recorded it; nil when neither is known.
    public var createdAt: Date?
    /// This machine's ledger record of it, if any.
    public var record: PodLedgerRecord?
    /// Who looks after it.
    public var ownership: Ownership

    /// Creates a value (``RunPodLauncher/listMinePods(pruneLedger:)`` makes them from RunPod's listing and the ledger).
    public init(pod: Pod, createdAt: Date?, record: PodLedgerRecord?, ownership: Ownership) {
        self.pod = pod
        self.createdAt = createdAt
        self.record = record
        self.ownership = ownership
    }

    /// Who looks after a pod this tool created.
    public enum Ownership: Sendable, Hashable {
        /// A launcher process on this machine runs and will terminate it (or hand it over) itself.
        case liveLauncher(pid: Int32)
        /// The record was written on another machine (a shared home directory): its launcher cannot be checked.
        case otherMachine(host: String, pid: Int32)
        /// No running launcher owns it.
        case orphaned(OrphanReason)
    }

    /// Why no running launcher owns a pod.
    public enum OrphanReason: Sendable, Hashable {
        /// The launcher that created it exited normally and left it running on purpose (`launch` printed it,
        /// `--keep-on-failure`, or a cleanup the user interrupted and was warned about).
        case keptByLauncher(pid: Int32, at: Date)
        /// The launcher that created it is gone without terminating it or saying so (killed, crashed, machine lost).
        case launcherGone(pid: Int32)
        /// This machine has no record of it (another machine launched it, or the record was lost).
        case noLocalRecord
    }

    /// True when no running launcher owns the pod.
    public var isOrphaned: Bool {
        if case .orphaned = ownership { return true }
        return false
    }

    /// How long ago it was created, at `now`; nil when unknown.
    public func age(at now: Date = Date()) -> Duration? {
        createdAt.map { .milliseconds(Int64((max(0, now.timeIntervalSince($0)) * 1000).rounded())) }
    }
}

/// What `listMinePods` found.
public struct MinePodsListing: Sendable {
    /// The pods, oldest first.
    public var pods: [MinePod]
    /// Ledger records dropped because RunPod no longer knows their pod (and their launcher is gone).
    public var prunedRecords: [PodLedgerRecord]
    /// Ledger files that could not be read as records (left in place).
    public var unreadableRecords: [URL]
}

/// Which pods `terminate --all-mine` would remove, and why the others stay.
public struct MinePodSelection: Sendable {
    /// Why a pod is left alone.
    public enum SkipReason: Sendable, Hashable {
        /// A launcher on this machine still runs for it (it will clean up itself); `--include-owned` overrides.
        case ownedByLiveLauncher(pid: Int32)
        /// Recorded on another machine, whose launcher cannot be checked from here; `--include-owned` overrides.
        case ownedOnOtherMachine(host: String)
        /// Younger than the `--older-than` threshold.
        case tooYoung(age: Duration, threshold: Duration)
        /// `--older-than` was given but the pod's age is unknown: never guess in favour of terminating.
        case ageUnknown
    }

    /// The pods to terminate, oldest first.
    public var selected: [MinePod]
    /// The pods left alone, each with its reason.
    public var skipped: [(pod: MinePod, reason: SkipReason)]

    /// Chooses from `pods`: every orphaned pod (and, with `includeOwned`, owned ones too) at least `olderThan` old.
    public init(_ pods: [MinePod], olderThan: Duration?, includeOwned: Bool, now: Date = Date()) {
        var selected: [MinePod] = []
        var skipped: [(pod: MinePod, reason: SkipReason)] = []
        for pod in pods {
            if !includeOwned {
                switch pod.ownership {
                case .liveLauncher(let pid):
                    skipped.append((pod, .ownedByLiveLauncher(pid: pid)))
                    continue
                case .otherMachine(let host, _):
                    skipped.append((pod, .ownedOnOtherMachine(host: host)))
                    continue
                case .orphaned:
                    break
                }
            }
            if let threshold = olderThan {
                guard let age = pod.age(at: now) else {
                    skipped.append((pod, .ageUnknown))
                    continue
                }
                if age < threshold {
                    skipped.append((pod, .tooYoung(age: age, threshold: threshold)))
                    continue
                }
            }
            selected.append(pod)
        }
        self.selected = selected
        self.skipped = skipped
    }
}

extension RunPodLauncher {
    /// The pods this tool created that RunPod still has (not TERMINATED), each with its owner as this machine's
    /// ledger knows it. With `pruneLedger`, records of pods RunPod no longer knows are deleted when their launcher
    /// is gone (a running launcher removes its own).
    public func listMinePods(pruneLedger: Bool = true) async throws -> MinePodsListing {
        let listed: [RunPod.Pod]
        do {
            listed = try await client.listPods()
        } catch let error as RunPodAPIError {
            throw map(error)
        }
        let apiHost = PodLedgerRecord.apiHost(of: client.baseURL)
        let (allRecords, unreadable) = ledger?.load() ?? ([], [])
        let records = Dictionary(allRecords.filter { $0.apiHost == apiHost }.map { ($0.podID, $0) }, uniquingKeysWith: { first, _ in first })

        var pods: [MinePod] = []
        var known = Set<String>()
        for pod in listed where pod.status != .terminated {
            known.insert(pod.id)
            let record = records[pod.id]
            // A record proves it is ours even when a listing leaves `env` out.
            guard record != nil || PodIdentity.isLaunchedByThisTool(pod) else { continue }
            let created = Self.timestamp(pod.createdAt) ?? record?.createdAt
            pods.append(MinePod(pod: Pod(pod), createdAt: created, record: record, ownership: Self.ownership(of: record)))
        }

        var pruned: [PodLedgerRecord] = []
        if pruneLedger, let ledger {
            for record in records.values where !known.contains(record.podID) && record.owner.liveness == .gone {
                if (try? ledger.remove(podID: record.podID)) != nil { pruned.append(record) }
            }
        }
        pods.sort { ($0.createdAt ?? .distantFuture, $0.pod.id) < ($1.createdAt ?? .distantFuture, $1.pod.id) }
        return MinePodsListing(pods: pods, prunedRecords: pruned.sorted { $0.podID < $1.podID }, unreadableRecords: unreadable)
    }

    static func ownership(of record: PodLedgerRecord?) -> MinePod.Ownership {
        guard let record else { return .orphaned(.noLocalRecord) }
        if let releasedAt = record.releasedAt { return .orphaned(.keptByLauncher(pid: record.owner.pid, at: releasedAt)) }
        switch record.owner.liveness {
        case .alive: return .liveLauncher(pid: record.owner.pid)
        case .unknown: return .otherMachine(host: record.owner.host, pid: record.owner.pid)
        case .gone: return .orphaned(.launcherGone(pid: record.owner.pid))
        }
    }

    /// RunPod's timestamps: RFC 3339 with or without fractional seconds.
    static func timestamp(_ text: String?) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        return (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
    }
}
