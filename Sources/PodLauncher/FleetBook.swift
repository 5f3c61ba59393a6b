import Foundation
import RunPodAPI
import Synchronization

/// What a fleet launch knows about each of its pods, shared by the creators, the waiter and the cleanup.
final class FleetBook: Sendable {
    enum Phase: Sendable {
        case waitingToCreate, creating, starting, probing, ready, failed
    }

    struct Member: Sendable {
        var identity: PodIdentity
        var progress = LaunchProgress()
        var phase = Phase.waitingToCreate
        var pod: Pod?
        var raw: RunPod.Pod?
        var createdAt: Duration?
        var status: RunPod.PodStatus?
        var missingReads = 0
        var ready: ReadyPod?
        var failure: LauncherError?
        var lastProbe = "no probe yet"
    }

    private struct State {
        var members: [Member]
        var nextToCreate = 0
        var created = 0
        var readyCount = 0
        var failures: [FleetPodFailure] = []
        var creatorsDone = false
    }

    let count: Int
    let minReady: Int
    private let state: Mutex<State>
    /// Ticks when a pod is created or given up, or the creators are done: the waiter sleeps on it while it has no
    /// pod to watch, instead of polling an empty list (and, on a test clock, skipping time ahead for nothing).
    let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation

    init(identities: [PodIdentity], minReady: Int) {
        count = identities.count
        self.minReady = minReady
        state = Mutex(State(members: identities.map { Member(identity: $0) }))
        (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The next pod to create, or nil when all have been started.
    func takeNextToCreate() -> (index: Int, identity: PodIdentity, progress: LaunchProgress)? {
        state.withLock { state in
            guard state.nextToCreate < state.members.count else { return nil }
            let index = state.nextToCreate
            state.nextToCreate += 1
            state.members[index].phase = .creating
            return (index, state.members[index].identity, state.members[index].progress)
        }
    }

    /// Records a created pod; returns how many exist now.
    func created(index: Int, pod: Pod, at time: Duration) -> Int {
        state.withLock { state in
            state.members[index].pod = pod
            state.members[index].createdAt = time
            state.members[index].status = pod.status
            state.members[index].phase = .starting
            state.created += 1
            changed.yield()
            return state.created
        }
    }

    /// Records a failed pod. Returns true when the fleet can no longer reach `minReady` and must stop.
    func failed(index: Int, error: LauncherError) -> (failure: FleetPodFailure, mustStop: Bool) {
        state.withLock { state in
            let podID = state.members[index].pod?.id ?? state.members[index].progress.podID
            let failure = FleetPodFailure(index: index, podID: podID, error: error)
            if state.members[index].phase != .failed {
                state.members[index].phase = .failed
                state.members[index].failure = error
                state.failures.append(failure)
            }
            changed.yield()
            return (failure, state.members.count - state.failures.count < minReady)
        }
    }

    /// Records a ready pod; returns how many are ready now.
    func ready(index: Int, _ ready: ReadyPod) -> Int {
        state.withLock { state in
            guard state.members[index].phase != .ready else { return state.readyCount }
            state.members[index].phase = .ready
            state.members[index].ready = ready
            state.readyCount += 1
            return state.readyCount
        }
    }

    /// Applies `change` to one member and returns its result.
    func update<R>(index: Int, _ change: (inout Member) -> R) -> R {
        state.withLock { change(&$0.members[index]) }
    }

    /// True once every create has been sent and answered (or failed).
    var creatorsDone: Bool {
        get { state.withLock { $0.creatorsDone } }
        set {
            state.withLock { $0.creatorsDone = newValue }
            changed.yield()
        }
    }

    /// A snapshot of every member.
    var members: [Member] { state.withLock { $0.members } }

    /// True when every pod is ready or failed.
    var settled: Bool { state.withLock { state in state.members.allSatisfy { $0.phase == .ready || $0.phase == .failed } } }

    /// The failures so far, in fleet order.
    var failures: [FleetPodFailure] { state.withLock { $0.failures.sorted { $0.index < $1.index } } }

    /// The ready pods, in fleet order.
    var readyPods: [ReadyPod] { state.withLock { $0.members.compactMap(\.ready) } }

    /// Every pod the fleet knows it created, and the identities of every create sent: the cleanup looks for those
    /// too, to find a pod whose create was never answered, or a second pod a late-landing create made.
    var cleanupTargets: (podIDs: [String], lookFor: [PodIdentity]) {
        state.withLock { state in
            var ids: [String] = []
            var lookFor: [PodIdentity] = []
            for member in state.members {
                if let id = member.pod?.id ?? member.progress.podID { ids.append(id) }
                if member.progress.createSent { lookFor.append(member.identity) }
            }
            return (ids, lookFor)
        }
    }
}
