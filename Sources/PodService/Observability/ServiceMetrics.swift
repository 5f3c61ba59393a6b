import Foundation
import Prometheus
import RunPodAPI
import Synchronization

/// The service's metrics, in Prometheus's text format at `GET /metrics`: launches by state, RunPod API calls and
/// errors by operation, how long a reconcile tick takes, and what the live pods cost per hour.
public final class ServiceMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let tickDuration: DurationHistogram
    private let costPerHour: Gauge
    private let launches: [LaunchState: Gauge]
    private let leading: Gauge
    private let calls = Mutex<[String: (calls: Counter, errors: Counter)]>([:])

    public init() {
        tickDuration = registry.makeDurationHistogram(
            name: "runpod_launcher_reconcile_duration_seconds",
            buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5), .seconds(30)],
            help: "How long one reconcile tick took (RunPod's listing included).")
        costPerHour = registry.makeGauge(
            name: "runpod_launcher_live_cost_per_hour_usd", help: "USD per hour of the pods the service's live launches hold.")
        var launches: [LaunchState: Gauge] = [:]
        for state in LaunchState.allCases {
            launches[state] = registry.makeGauge(
                name: "runpod_launcher_launches", labels: [("state", state.rawValue)], help: "Launches recorded, by state.")
        }
        self.launches = launches
        leading = registry.makeGauge(
            name: "runpod_launcher_leader", help: "1 while this replica is the leader (runs the reconciler and the autoscaler), else 0.")
    }

    /// Sets whether this replica leads (at scrape time).
    public func leader(_ isLeader: Bool) { leading.set(to: isLeader ? 1 : 0) }

    func reconciled(duration: Duration) { tickDuration.record(duration) }

    func livePods(costPerHour: Double) { self.costPerHour.set(to: costPerHour) }

    /// Sets the launch counts (read from the store when `/metrics` is scraped).
    public func launches(_ counts: [LaunchState: Int]) {
        for (state, gauge) in launches { gauge.set(to: Double(counts[state] ?? 0)) }
    }

    /// Sets each pool's gauges (at scrape time): desired count, live pods, demand, and whether its source is failing.
    public func pools(_ pools: [(name: String, status: PoolRuntime.Status, pods: Int)]) {
        for pool in pools {
            let labels = [("pool", pool.name)]
            registry.makeGauge(name: "runpod_launcher_pool_desired", labels: labels, help: "A pool's desired pod count.")
                .set(to: Double(pool.status.decision.desired))
            registry.makeGauge(name: "runpod_launcher_pool_pods", labels: labels, help: "A pool's live pods (not terminating).")
                .set(to: Double(pool.pods))
            registry.makeGauge(name: "runpod_launcher_pool_demand", labels: labels, help: "A pool's demand: backlog plus work in flight.")
                .set(to: Double(pool.status.demand.total))
            registry.makeGauge(name: "runpod_launcher_pool_degraded", labels: labels, help: "1 while a pool's demand source cannot be read.")
                .set(to: pool.status.degraded == nil ? 0 : 1)
        }
    }

    /// A copy of `client` that counts every RunPod API exchange here, by operation (retries included).
    public func counting(_ client: RunPodClient) -> RunPodClient {
        client.observingExchanges { [self] notice in runPodCall(notice.operation, failed: notice.failed) }
    }

    /// Counts one RunPod API call and whether it failed.
    func runPodCall(_ operation: String, failed: Bool) {
        let counters = calls.withLock { calls in
            if let existing = calls[operation] { return existing }
            let made = (
                registry.makeCounter(
                    name: "runpod_launcher_runpod_api_calls_total", labels: [("operation", operation)], help: "RunPod API calls, by operation."),
                registry.makeCounter(
                    name: "runpod_launcher_runpod_api_errors_total", labels: [("operation", operation)],
                    help: "RunPod API calls that failed (no answer, 429 or 5xx), by operation.")
            )
            calls[operation] = made
            return made
        }
        counters.calls.increment()
        if failed { counters.errors.increment() }
    }

    /// The text exposition.
    public func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
