import Foundation

/// Stock is counted per data center, GPU type and cloud (never `.all`).
struct StockKey: Hashable, Sendable {
    var dataCenterID: String
    var gpuTypeID: String
    var cloud: CloudType
}

/// The world's mutable state; only `World` touches it, under its lock.
struct WorldState: Sendable {
    var dataCenters: [DataCenter]
    var gpuTypes: [GPUType]
    var gpuTypeByID: [String: GPUType]
    var stock: [StockKey: Int]
    var networkVolumes: [NetworkVolume]
    var keys: [String: APIKeySpec]
    var balance: Double
    var timings: PodTimings
    var failureRules: [PodFailureRule]
    var pods: [String: PodSimulation] = [:]
    var podOrder: [String] = []
    var calls: [String: Int] = [:]
    var random: SeededRandom
    /// When the world began (scenario volumes bill from then).
    var startedAt: Date
    /// The account's registered SSH public keys (`PUT /v2/account/ssh-keys`).
    var sshKeys: [String]
    /// The account's own templates, oldest first.
    var templates: [PodTemplate] = []
    /// The public template catalog.
    var publicTemplates: [PodTemplate]
    var registries: [RegistryCredential] = []
    var delegations: [ECRDelegation] = []
    var clusters: [ClusterRecord] = []
    var endpoints: [ServerlessEndpoint] = []
    /// Every network volume's billable life, deleted ones too.
    var volumeLives: [VolumeLife] = []

    init(scenario: Scenario, apiKeys: [String], now: Date) {
        dataCenters = scenario.dataCenters
        gpuTypes = scenario.gpuTypes
        gpuTypeByID = Dictionary(scenario.gpuTypes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var stock: [StockKey: Int] = [:]
        for entry in scenario.stock where entry.cloud != .all {
            stock[StockKey(dataCenterID: entry.dataCenterId, gpuTypeID: entry.gpuTypeId, cloud: entry.cloud), default: 0] += entry.count
        }
        self.stock = stock
        networkVolumes = scenario.networkVolumes
        var keys: [String: APIKeySpec] = [:]
        for key in apiKeys { keys[key] = APIKeySpec(key: key) }
        for spec in scenario.apiKeys { keys[spec.key] = spec }
        self.keys = keys
        balance = scenario.balance
        timings = scenario.timings
        failureRules = scenario.podFailures
        random = SeededRandom(seed: scenario.seed)
        startedAt = now
        sshKeys = scenario.sshKeys
        publicTemplates = scenario.publicTemplates
        volumeLives = scenario.networkVolumes.map { VolumeLife(id: $0.id, type: $0.type, size: $0.size, start: now) }
    }

    func free(gpuTypeID: String, dataCenterID: String, cloud: CloudType) -> Int {
        let clouds: [CloudType] = cloud == .all ? [.secure, .community] : [cloud]
        return clouds.reduce(0) { $0 + (stock[StockKey(dataCenterID: dataCenterID, gpuTypeID: gpuTypeID, cloud: $1)] ?? 0) }
    }

    // MARK: Lifecycle

    /// Applies every start-up event of the pod's current boot whose time has come, then finishes the ComfyUI jobs
    /// whose end has come.
    mutating func advance(id: String, now: Date, timeScale: Double) {
        enforcePodSideDeadline(id: id, now: now)  // runpod-launcher's opt-in wrapper (PodSideDeadline.swift)
        advanceBoot(id: id, now: now, timeScale: timeScale)
        pods[id]?.comfy.advance(to: now)
    }

    private mutating func advanceBoot(id: String, now: Date, timeScale: Double) {
        guard var pod = pods[id], let applied = pod.applied, applied != pod.scheduleLength else { return }
        let schedule = bootSchedule(for: pod, timings: timings, timeScale: timeScale)
        pod.scheduleLength = schedule.count
        var index = applied
        while index < schedule.count {
            let event = schedule[index]
            let at = pod.bootAt.addingTimeInterval(event.offset)
            guard at <= now else { break }
            apply(event, at: at, to: &pod)
            index += 1
        }
        pod.applied = index
        pods[id] = pod
    }

    private mutating func apply(_ event: BootEvent, at time: Date, to pod: inout PodSimulation) {
        for (source, line) in event.logs { appendLog(source: source, line: line, at: time, to: &pod.record) }
        if let error = event.error { pod.record.lastError = error }
        if let ready = event.appReady {
            pod.record.appReady = ready
            if ready { pod.record.appReadyAt = time }
        }
        guard let status = event.status, status != pod.record.status || status == .provisioning else { return }
        setStatus(status, at: time, on: &pod)
    }

    private mutating func setStatus(_ status: PodStatus, at time: Date, on pod: inout PodSimulation) {
        pod.bill(from: time, status: status)
        // Any status but RUNNING means the container (and the ComfyUI process in it) is gone or not yet there.
        if status != .running { pod.comfy.containerStopped(at: time, terminated: status == .terminated) }
        pod.record.status = status
        pod.record.lastStatusChange = time
        switch status {
        case .running:
            pod.record.startedAt = time
            pod.record.runtimePorts = runtimePorts(for: pod.record.creation.ports, using: &random)
        case .exited, .terminated:
            pod.record.startedAt = nil
            pod.record.runtimePorts = []
            pod.record.appReady = false
            pod.applied = nil
            releaseStock(of: &pod)
            pod.record.desiredStatus = status == .exited ? "EXITED" : "TERMINATED"
        case .error:
            pod.record.startedAt = nil
            pod.record.runtimePorts = []
            pod.record.appReady = false
            pod.applied = nil
        case .provisioning, .starting:
            pod.record.startedAt = nil
            pod.record.runtimePorts = []
            pod.record.appReady = false
        }
    }

    private mutating func releaseStock(of pod: inout PodSimulation) {
        guard pod.holdsStock else { return }
        let key = StockKey(dataCenterID: pod.record.dataCenterID, gpuTypeID: pod.record.creation.gpuTypeID, cloud: pod.record.cloud)
        stock[key, default: 0] += pod.gpuCount
        pod.holdsStock = false
    }

    private func appendLog(source: String, line: String, at time: Date, to record: inout PodRecord) {
        record.logs.append(LogLine(ts: time, source: source, line: line, sequence: record.logs.count + 1))
    }

    mutating func terminate(id: String, now: Date) throws(WorldError) {
        guard var pod = pods[id], pod.record.alive else { throw .notFound }
        appendLog(source: "system", line: "terminate pod \(id)", at: now, to: &pod.record)
        setStatus(.terminated, at: now, on: &pod)
        pod.record.terminatedAt = now
        pods[id] = pod
    }

    mutating func stop(id: String, now: Date) throws(WorldError) {
        guard var pod = pods[id] else { throw .notFound }
        guard [.provisioning, .starting, .running].contains(pod.record.status) else {
            throw .conflict("pod is \(pod.record.status.rawValue); stop is valid only while PROVISIONING, STARTING or RUNNING")
        }
        if pod.record.locked { throw .conflict("pod is locked; unlock it (PATCH locked: false) before stopping it") }
        appendLog(source: "system", line: "stop container", at: now, to: &pod.record)
        setStatus(.exited, at: now, on: &pod)
        pods[id] = pod
    }

    mutating func resume(id: String, gpuCount: Int?, now: Date, timeScale: Double) throws(WorldError) {
        guard var pod = pods[id] else { throw .notFound }
        guard pod.record.status == .exited || pod.record.status == .error else {
            throw .conflict("pod is \(pod.record.status.rawValue); start is valid only while EXITED or ERROR")
        }
        let count = gpuCount ?? pod.gpuCount
        guard count >= 1 else { throw .invalid("gpu count must be at least 1") }
        if !pod.holdsStock {
            let key = StockKey(dataCenterID: pod.record.dataCenterID, gpuTypeID: pod.record.creation.gpuTypeID, cloud: pod.record.cloud)
            guard (stock[key] ?? 0) >= count else {
                throw .invalid("There are not enough free GPUs on the host machine to start this pod.")
            }
            stock[key, default: 0] -= count
            pod.holdsStock = true
        }
        let perGPU = pod.record.pricePerHour / Double(max(1, pod.gpuCount))
        pod.gpuCount = count
        pod.record.pricePerHour = perGPU * Double(count)
        pod.record.desiredStatus = "RUNNING"
        pod.record.lastError = nil
        applyGlobalNetworking(to: &pod)
        pod.bootAt = now
        pod.bootKind = .fresh
        pod.applied = 0
        pod.scheduleLength = nil
        // A resumed pod goes through the script again, but no longer fails the way it did.
        if pod.failure != .appNeverAnswers { pod.failure = nil }
        appendLog(source: "system", line: "start pod \(id)", at: now, to: &pod.record)
        pods[id] = pod
        advance(id: id, now: now, timeScale: timeScale)
    }

    mutating func restart(id: String, now: Date, timeScale: Double) throws(WorldError) {
        guard var pod = pods[id] else { throw .notFound }
        guard pod.record.status == .running else {
            throw .conflict("pod is \(pod.record.status.rawValue); restart is valid only while RUNNING")
        }
        if pod.record.locked { throw .conflict("pod is locked; unlock it (PATCH locked: false) before restarting it") }
        applyGlobalNetworking(to: &pod)
        pod.bootAt = now
        pod.bootKind = .restart
        pod.applied = 0
        pod.scheduleLength = nil
        pod.record.appReady = false
        pods[id] = pod
        advance(id: id, now: now, timeScale: timeScale)
    }

    /// A `globalNetworking` change takes effect at the next start or restart.
    private mutating func applyGlobalNetworking(to pod: inout PodSimulation) {
        if pod.record.creation.globalNetworking && pod.record.globalNetworkIP == nil {
            pod.record.globalNetworkIP = globalNetworkAddress()
        } else if !pod.record.creation.globalNetworking {
            pod.record.globalNetworkIP = nil
        }
    }

    mutating func loseMachine(id: String, now: Date) throws(WorldError) {
        guard var pod = pods[id] else { throw .notFound }
        let message = "machine \(pod.record.machineID) is no longer reachable; the pod was stopped"
        appendLog(source: "system", line: message, at: now, to: &pod.record)
        pod.record.lastError = message
        setStatus(.exited, at: now, on: &pod)
        pods[id] = pod
    }
}
