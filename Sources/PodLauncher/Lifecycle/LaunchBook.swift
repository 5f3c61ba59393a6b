import Foundation
import RunPodAPI
import Synchronization

/// What one launch (or wait) knows about each of its pods, shared by the creators, the watcher, the limit watch and
/// the cleanup. One pod or a hundred: the same book.
final class LaunchBook: Sendable {
    enum Phase: Sendable, Equatable {
        /// Not created yet (or waiting for capacity).
        case pending
        /// A create is on its way.
        case creating
        /// Created; waiting until ready.
        case starting
        case ready
        case failed
    }

    struct Member: Sendable {
        var identity: PodIdentity
        var phase = Phase.pending
        /// True once a create was sent: the pod may exist even without an answer.
        var createSent = false
        var podID: String?
        /// The pod as last seen (the create's answer, then each read).
        var pod: RunPod.Pod?
        /// When the pod was created (or the wait started), on the launch's stopwatch.
        var createdAt: Duration?
        var status: RunPod.PodStatus?
        var costPerHour: Double = 0
        var readiness = ReadinessTrack()
        var ready: ReadyPod?
        var failure: LauncherError?
    }

    private struct State {
        var members: [Member]
        var failures: [PodFailure] = []
        var creatorsDone = false
        var version = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    let count: Int
    let minReady: Int
    private let state: Mutex<State>

    init(identities: [PodIdentity], minReady: Int) {
        count = identities.count
        self.minReady = minReady
        state = Mutex(State(members: identities.map { Member(identity: $0) }))
    }

    /// A book for pods that already exist (`waitForReady`): created "now" at `time`.
    init(existing podIDs: [String], at time: Duration) {
        count = podIDs.count
        minReady = podIDs.count
        state = Mutex(
            State(
                members: podIDs.map { id in
                    Member(identity: PodIdentity(name: id, launchID: ""), phase: .starting, podID: id, createdAt: time)
                }, creatorsDone: true))
    }

    // MARK: Reading

    /// A snapshot of every member.
    var members: [Member] { state.withLock { $0.members } }

    /// One member.
    subscript(index: Int) -> Member { state.withLock { $0.members[index] } }

    /// The members created and not yet ready or failed, by index.
    var watched: [Int] { state.withLock { state in state.members.indices.filter { state.members[$0].phase == .starting } } }

    /// Members still to create, by index.
    var pending: [Int] { state.withLock { state in state.members.indices.filter { state.members[$0].phase == .pending } } }

    /// True once every create has been sent and answered (or failed).
    var creatorsDone: Bool { state.withLock { $0.creatorsDone } }

    /// True when every pod is ready or failed and no create is to come.
    var settled: Bool {
        state.withLock { state in state.creatorsDone && state.members.allSatisfy { $0.phase == .ready || $0.phase == .failed } }
    }

    /// The failures so far, in launch order.
    var failures: [PodFailure] { state.withLock { $0.failures.sorted { $0.index < $1.index } } }

    /// The ready pods, in launch order.
    var readyPods: [ReadyPod] { state.withLock { $0.members.compactMap(\.ready) } }

    /// Every pod the launch knows it created (in launch order), and the identities of every create sent without a
    /// known pod: a cleanup looks for those by identity (a create whose answer was lost).
    var createdPods: (podIDs: [String], unanswered: [PodIdentity]) {
        state.withLock { state in
            var ids: [String] = []
            var unanswered: [PodIdentity] = []
            for member in state.members {
                if let id = member.podID {
                    ids.append(id)
                } else if member.createSent {
                    unanswered.append(member.identity)
                }
            }
            return (ids, unanswered)
        }
    }

    // MARK: Changing

    /// Applies `change` to one member and returns its result; wakes anyone waiting for a change.
    @discardableResult
    func update<R>(_ index: Int, _ change: (inout Member) -> R) -> R {
        let (result, waiters) = state.withLock { state in
            let result = change(&state.members[index])
            return (result, Self.bump(&state))
        }
        for waiter in waiters { waiter.resume() }
        return result
    }

    /// Records a pod whose create was answered (or that was found by its identity). Returns false when the member
    /// already had this pod.
    @discardableResult
    func created(_ index: Int, pod: RunPod.Pod, at time: Duration) -> Bool {
        update(index) { member in
            guard member.podID != pod.id else { return false }
            member.podID = pod.id
            member.pod = pod
            member.createdAt = time
            member.status = pod.status
            member.costPerHour = pod.cost ?? 0
            if member.phase == .pending || member.phase == .creating { member.phase = .starting }
            return true
        }
    }

    /// Records a failed pod. Returns the failure and whether the launch can no longer reach `minReady`.
    func failed(_ index: Int, error: LauncherError) -> (failure: PodFailure, mustStop: Bool) {
        let (outcome, waiters) = state.withLock { state in
            let failure = PodFailure(index: index, podID: state.members[index].podID, error: error)
            if state.members[index].phase != .failed {
                state.members[index].phase = .failed
                state.members[index].failure = error
                state.failures.append(failure)
            }
            let mustStop = state.members.count - state.failures.count < minReady
            return ((failure, mustStop), Self.bump(&state))
        }
        for waiter in waiters { waiter.resume() }
        return outcome
    }

    /// Records a ready pod; returns false when it already was.
    func ready(_ index: Int, _ ready: ReadyPod) -> Bool {
        update(index) { member in
            guard member.phase != .ready else { return false }
            member.phase = .ready
            member.ready = ready
            if ready.pod.costPerHour > 0 { member.costPerHour = ready.pod.costPerHour }
            return true
        }
    }

    /// Every create has been sent and answered (or failed).
    func finishCreating() {
        let waiters = state.withLock { state in
            state.creatorsDone = true
            return Self.bump(&state)
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Waiting for a change

    /// The current version: pass it to `changed(since:)`.
    var version: Int { state.withLock { $0.version } }

    /// Returns once the book changed after `version` (a pod created, failed or ready; the creates done), or when the
    /// task is cancelled. The watcher and the limit watch sleep on it while they have nothing to watch, instead of
    /// polling (which, on a test clock, would skip time ahead for nothing).
    func changed(since version: Int) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.version != version || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    private static func bump(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        state.version += 1
        let waiters = Array(state.waiters.values)
        state.waiters = [:]
        return waiters
    }
}

/// Where one pod's readiness stands: its probe target and schedule, and what the last read and probe showed.
struct ReadinessTrack: Sendable {
    /// The app port and its probe URL, once the pod's ports are known.
    var target: ProbeTarget?
    /// When the next probe is due (launch stopwatch time).
    var nextProbe: Duration?
    /// The last read's pod when it showed RUNNING with runtime ports; nil otherwise.
    var apiReady: RunPod.Pod?
    /// True once an answering probe has asked for a confirming read; cleared when a probe fails.
    var confirmRequested = false
    /// The app answered the last probe (with this status).
    var answered: Int?
    /// Reads in a row that did not list the pod (a listing may lag a create).
    var missingReads = 0
    /// What the wait is waiting for, for the timeout message.
    var waitingFor = "RunPod to report the pod"
    var lastReadError: String?
    var lastProbe = "no probe yet"
    var probingAnnounced = false

    /// `waitingFor`, with the last failed read when there was one.
    var waitingForText: String { waitingFor + (lastReadError.map { " (last read of the pod failed: \($0))" } ?? "") }
}

/// The app port a pod is probed on.
struct ProbeTarget: Sendable {
    var port: Int
    var url: URL
}
