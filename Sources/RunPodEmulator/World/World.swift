import Foundation
import Synchronization

/// The one emulated RunPod that both APIs (REST v2 and GraphQL) read and change.
///
/// Pods advance lazily: every read first applies the lifecycle events whose time (on the injected clock, delays
/// multiplied by `timeScale`) has come, so no background timers run and tests never sleep longer than the scaled
/// delays. All state sits behind one `Mutex`; every entry point is synchronous and cheap.
///
/// Terminated pods are gone for the APIs (`pod(id:)` returns nil, `pods()` leaves them out) but kept for inspection
/// (`allPods()`).
final class World: Sendable {
    /// The clock pod states are derived from.
    let clock: any EmulatorClock
    /// Multiplies every scenario delay (0.001 turns a 90-second start into 90 ms).
    let timeScale: Double
    let state: Mutex<WorldState>

    /// Builds the world a scenario describes; `apiKeys` are accepted in addition to the scenario's keys.
    init(scenario: Scenario, apiKeys: [String], clock: any EmulatorClock = SystemEmulatorClock(), timeScale: Double = 1) {
        self.clock = clock
        self.timeScale = timeScale
        state = Mutex(WorldState(scenario: scenario, apiKeys: apiKeys, now: clock.now))
    }

    // MARK: Pods

    /// Creates a pod, applying RunPod's rules in RunPod's order: key access (forbidden), request rules (invalid),
    /// balance (insufficientBalance), then capacity (noCapacity). Taking the GPUs from stock is part of creating.
    ///
    /// - Parameters:
    ///   - request: what the client asked for, API-neutral.
    ///   - api: which API it came through (recorded for inspection).
    ///   - rawRequest: the exact body (REST) or operation input (GraphQL), kept for `GET /_emulator/state`.
    ///   - apiKey: the caller's key, for per-key restrictions; nil skips them.
    func createPod(_ request: PodCreation, api: API, rawRequest: JSONValue, apiKey: String? = nil) throws(WorldError) -> PodRecord {
        let now = clock.now
        let timeScale = timeScale
        return try state.withLock { (world: inout WorldState) throws(WorldError) -> PodRecord in
            try world.createPod(request, api: api, rawRequest: rawRequest, apiKey: apiKey, now: now, timeScale: timeScale)
        }
    }

    /// The pod with this id, advanced to now; nil when unknown or terminated.
    func pod(id: String) -> PodRecord? {
        guard let record = podIncludingTerminated(id: id), record.alive else { return nil }
        return record
    }

    /// The pod with this id even if terminated (inspection), advanced to now.
    func podIncludingTerminated(id: String) -> PodRecord? {
        let (now, scale) = (clock.now, timeScale)
        return state.withLock { world in
            world.advance(id: id, now: now, timeScale: scale)
            return world.pods[id]?.record
        }
    }

    /// Every pod that is not terminated, oldest first, advanced to now.
    func pods() -> [PodRecord] { allPods().filter(\.alive) }

    /// Every pod ever created, terminated ones too, oldest first, advanced to now.
    func allPods() -> [PodRecord] {
        let (now, scale) = (clock.now, timeScale)
        return state.withLock { world in
            world.podOrder.compactMap { id in
                world.advance(id: id, now: now, timeScale: scale)
                return world.pods[id]?.record
            }
        }
    }

    /// Terminates a pod: its GPUs return to stock, it stops billing, and it disappears from the APIs.
    /// Throws `notFound` for an unknown or already terminated pod.
    func terminate(id: String) throws(WorldError) {
        try mutate(id: id) { (world: inout WorldState, now: Date, _: Double) throws(WorldError) in
            try world.terminate(id: id, now: now)
        }
    }

    /// Stops a pod (PROVISIONING, STARTING or RUNNING → EXITED); its GPUs return to stock, its disk stays.
    /// Throws `conflict` in any other status.
    @discardableResult
    func stop(id: String) throws(WorldError) -> PodRecord {
        try mutate(id: id) { (world: inout WorldState, now: Date, _: Double) throws(WorldError) in
            try world.stop(id: id, now: now)
        }
    }

    /// Starts a stopped pod (EXITED or ERROR) again on its machine, optionally with another GPU count.
    /// Throws `conflict` in another status, `invalid` when its data center lacks the GPUs now.
    @discardableResult
    func resume(id: String, gpuCount: Int? = nil) throws(WorldError) -> PodRecord {
        try mutate(id: id) { (world: inout WorldState, now: Date, scale: Double) throws(WorldError) in
            try world.resume(id: id, gpuCount: gpuCount, now: now, timeScale: scale)
        }
    }

    /// Restarts a RUNNING pod's container in place (back to STARTING, no image pull). Throws `conflict` otherwise.
    @discardableResult
    func restart(id: String) throws(WorldError) -> PodRecord {
        try mutate(id: id) { (world: inout WorldState, now: Date, scale: Double) throws(WorldError) in
            try world.restart(id: id, now: now, timeScale: scale)
        }
    }

    /// Takes the machine away from a pod right now (it goes to EXITED with a system log line).
    @discardableResult
    func loseMachine(id: String) throws(WorldError) -> PodRecord {
        try mutate(id: id) { (world: inout WorldState, now: Date, _: Double) throws(WorldError) in
            try world.loseMachine(id: id, now: now)
        }
    }

    func mutate(
        id: String, _ body: (inout WorldState, Date, Double) throws(WorldError) -> Void
    ) throws(WorldError) -> PodRecord {
        let (now, scale) = (clock.now, timeScale)
        return try state.withLock { (world: inout WorldState) throws(WorldError) -> PodRecord in
            world.advance(id: id, now: now, timeScale: scale)
            guard let pod = world.pods[id], pod.record.alive else { throw .notFound }
            _ = pod
            try body(&world, now, scale)
            world.advance(id: id, now: now, timeScale: scale)
            guard let record = world.pods[id]?.record else { throw .notFound }
            return record
        }
    }

    // MARK: Catalog

    /// Network volumes of the account.
    func networkVolumes() -> [NetworkVolume] { state.withLock { $0.networkVolumes } }

    /// One network volume, nil when unknown.
    func networkVolume(id: String) -> NetworkVolume? { state.withLock { w in w.networkVolumes.first { $0.id == id } } }

    /// GPU types, in catalog order.
    func gpuTypes() -> [GPUType] { state.withLock { $0.gpuTypes } }

    /// One GPU type, nil when unknown.
    func gpuType(id: String) -> GPUType? { state.withLock { $0.gpuTypeByID[id] } }

    /// Data centers, in catalog order.
    func dataCenters() -> [DataCenter] { state.withLock { $0.dataCenters } }

    /// Free GPUs of a type in a data center and cloud (`.all` adds both clouds).
    func stock(gpuTypeID: String, dataCenterID: String, cloud: CloudType) -> Int {
        state.withLock { $0.free(gpuTypeID: gpuTypeID, dataCenterID: dataCenterID, cloud: cloud) }
    }

    /// Sets the free GPUs of a type in a data center and cloud (tests and scenarios change stock at runtime).
    func setStock(gpuTypeID: String, dataCenterID: String, cloud: CloudType, count: Int) {
        state.withLock { $0.stock[StockKey(dataCenterID: dataCenterID, gpuTypeID: gpuTypeID, cloud: cloud)] = max(0, count) }
    }

    /// How available a GPU type is for pods of `count` GPUs: in one data center, or (nil) the best of all of them.
    /// Stock below `count` reads as NONE; otherwise 1–2 free GPUs are LOW, 3–5 MEDIUM, more HIGH.
    func availability(gpuTypeID: String, dataCenterID: String?, cloud: CloudType, count: Int = 1) -> AvailabilityLevel {
        state.withLock { world in
            let centers = dataCenterID.map { [$0] } ?? world.dataCenters.map(\.id)
            return centers.map { id in
                let free = world.free(gpuTypeID: gpuTypeID, dataCenterID: id, cloud: cloud)
                return AvailabilityLevel(freeUnits: free >= count ? free : 0)
            }.max() ?? .none
        }
    }

    /// Whether a data center lists a GPU type at all (some stock entry exists for it, even at zero).
    func offers(gpuTypeID: String, dataCenterID: String, cloud: CloudType) -> Bool {
        state.withLock { world in
            world.stock.keys.contains {
                $0.gpuTypeID == gpuTypeID && $0.dataCenterID == dataCenterID && (cloud == .all || $0.cloud == cloud)
            }
        }
    }

    // MARK: Account

    /// Whether a key is accepted at all.
    func isValidKey(_ key: String) -> Bool { state.withLock { $0.keys[key] != nil } }

    /// What a key may do; nil when the key is not accepted.
    func keySpec(_ key: String) -> APIKeySpec? { state.withLock { $0.keys[key] } }

    /// Account balance in USD.
    var balance: Double {
        get { state.withLock { $0.balance } }
        set { state.withLock { $0.balance = newValue } }
    }

    /// Gives matching future pods a failure mode.
    func addPodFailure(_ rule: PodFailureRule) { state.withLock { $0.failureRules.append(rule) } }

    /// The scenario's start-up timings.
    var timings: PodTimings { state.withLock { $0.timings } }

    /// Counts one call of an operation (REST operationId or GraphQL root field), for inspection.
    func recordCall(operation: String) { state.withLock { $0.calls[operation, default: 0] += 1 } }

    /// Calls so far, per operation.
    func calls() -> [String: Int] { state.withLock { $0.calls } }

    /// Draws from the world's seeded generator (probabilistic faults use it so runs repeat).
    func randomUnit() -> Double { state.withLock { Double.random(in: 0..<1, using: &$0.random) } }
}

extension World {
    /// Free GPUs per data center, GPU type and cloud, in a stable order (inspection).
    func stockEntries() -> [StockEntry] {
        state.withLock { world in
            world.stock.map { StockEntry(dataCenterId: $0.key.dataCenterID, gpuTypeId: $0.key.gpuTypeID, cloud: $0.key.cloud, count: $0.value) }
                .sorted { ($0.dataCenterId, $0.gpuTypeId, $0.cloud.rawValue) < ($1.dataCenterId, $1.gpuTypeId, $1.cloud.rawValue) }
        }
    }
}
