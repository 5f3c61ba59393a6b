import Foundation

/// A running emulator: where to reach it, and controls for tests.
public struct RunningEmulator: Sendable {
    /// `http://HOST:PORT`; REST v2 is at `baseURL/v2/...`, GraphQL at `baseURL/graphql`.
    public let baseURL: URL
    /// A key the emulator accepts.
    public let apiKey: String
    /// Where a pod's HTTP port is served: `http://HOST:PORT/proxy/{podId}-{port}` (RunPod: `https://{podId}-{port}.proxy.runpod.net`).
    public let proxyURLTemplate: String
    let core: EmulatorCore

    init(core: EmulatorCore, host: String, port: Int, apiKey: String) {
        self.core = core
        let base = "http://\(host):\(port)"
        baseURL = URL(string: base) ?? URL(fileURLWithPath: "/")
        self.apiKey = apiKey
        proxyURLTemplate = "\(base)/proxy/{podId}-{port}"
    }

    /// The proxy URL of one pod port.
    public func proxyURL(podID: String, port: Int) -> URL? {
        URL(string: proxyURLTemplate.replacingOccurrences(of: "{podId}", with: podID).replacingOccurrences(of: "{port}", with: String(port)))
    }

    /// Everything `GET /_emulator/state` reports.
    public func state() async -> EmulatorState { EmulatorState(world: core.world) }

    /// Replaces the fault rules in force.
    public func setFaults(_ rules: [FaultRule]) async { core.faults.set(rules) }

    /// The fault rules in force (rules with `times` drop out once spent).
    public func faults() async -> [FaultRule] { core.faults.rules() }

    /// Sets the free GPUs of a type in a data center and cloud.
    public func setStock(gpuTypeID: String, dataCenterID: String, cloud: CloudType = .secure, count: Int) async {
        core.world.setStock(gpuTypeID: gpuTypeID, dataCenterID: dataCenterID, cloud: cloud, count: count)
    }

    /// Free GPUs of a type in a data center and cloud.
    public func stock(gpuTypeID: String, dataCenterID: String, cloud: CloudType = .secure) async -> Int {
        core.world.stock(gpuTypeID: gpuTypeID, dataCenterID: dataCenterID, cloud: cloud)
    }

    /// Sets the account balance (0 makes every create answer 402).
    public func setBalance(_ dollars: Double) async { core.world.balance = dollars }

    /// Makes matching future pods fail this way.
    public func addPodFailure(_ rule: PodFailureRule) async { core.world.addPodFailure(rule) }

    /// Takes the machine away from a pod now (it goes to EXITED, stops billing, logs why).
    public func loseMachine(podID: String) async throws { _ = try core.world.loseMachine(id: podID) }

    /// Sets the per-key REST quota per minute (nil = unlimited).
    public func setRateLimit(perMinute: Int?) async { core.rateLimiter.setLimit(perMinute: perMinute) }

    /// Cuts the next `times` log streams (`GET /v2/pods/{id}/logs`) after `afterEvents` events each: the connection
    /// closes mid-body, as a dropped network would, so a client has to resume with `Last-Event-ID`.
    public func dropLogStreams(afterEvents: Int, times: Int = 1) async { core.logDrops.add(afterEvents: afterEvents, times: times) }

    /// A pod as the world sees it now, terminated ones included; nil when unknown.
    public func pod(id: String) async -> PodRecord? { core.world.podIncludingTerminated(id: id) }
}
