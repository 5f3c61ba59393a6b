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
    }

    func reconciled(duration: Duration) { tickDuration.record(duration) }

    func livePods(costPerHour: Double) { self.costPerHour.set(to: costPerHour) }

    /// Sets the launch counts (read from the store when `/metrics` is scraped).
    public func launches(_ counts: [LaunchState: Int]) {
        for (state, gauge) in launches { gauge.set(to: Double(counts[state] ?? 0)) }
    }

    /// Counts one RunPod API call (every HTTP exchange, retries included) and whether it failed.
    public func runPodCall(_ operation: String, failed: Bool) {
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

/// Counts every RunPod API exchange for `ServiceMetrics`, by operation (from the method and path), then hands it on.
public struct CountingTransport: HTTPTransport {
    let inner: any HTTPTransport
    let metrics: ServiceMetrics

    public init(_ inner: any HTTPTransport, metrics: ServiceMetrics) {
        self.inner = inner
        self.metrics = metrics
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let operation = Self.operation(request)
        do {
            let response = try await inner.send(request)
            metrics.runPodCall(operation, failed: response.status == 429 || response.status >= 500)
            return response
        } catch {
            metrics.runPodCall(operation, failed: true)
            throw error
        }
    }

    public func stream(_ request: HTTPRequest) async throws -> (head: HTTPResponse, body: AsyncThrowingStream<Data, any Error>) {
        metrics.runPodCall(Self.operation(request), failed: false)
        return try await inner.stream(request)
    }

    /// `GET /v1/pods` → `listPods`, `DELETE /v1/pods/{id}` → `deletePod`; RunPod's operation names.
    static func operation(_ request: HTTPRequest) -> String {
        let parts = request.url.path.split(separator: "/").map(String.init)
        guard let index = parts.firstIndex(where: { $0 == "pods" || $0 == "gpuTypes" || $0 == "networkvolumes" || $0 == "dataCenters" }) else {
            return "other"
        }
        let noun = parts[index]
        let hasID = parts.count > index + 1
        switch (request.method, noun, hasID) {
        case ("GET", "pods", false): return "listPods"
        case ("GET", "pods", true): return "getPod"
        case ("POST", "pods", false): return "createPod"
        case ("DELETE", "pods", true): return "deletePod"
        case (_, "pods", true): return "podAction"
        case ("GET", "gpuTypes", _): return "listGpuTypes"
        case ("GET", "networkvolumes", _): return "getNetworkVolume"
        case ("GET", "dataCenters", _): return "listDataCenters"
        default: return "other"
        }
    }
}
