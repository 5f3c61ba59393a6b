import AsyncHTTPClient
import Logging
import NIOCore
import NIOPosix

/// Reads a pool's backlog (jobs waiting that no pod has taken yet) from outside the service.
///
/// `backlog()` makes one bounded read: it returns within the spec's timeout or throws a `DemandSourceError`, whose
/// message never holds a secret from the source's URL. The autoscaler holds the pool's count when it throws.
public protocol DemandSource: Sendable {
    /// The backlog now: a count of waiting jobs, never negative.
    func backlog() async throws -> Int
}

extension DemandSourceSpec {
    /// The reader for this source, or nil for `leases` and `push`, whose demand the service counts itself.
    ///
    /// HTTP sources share `httpClient`; each Redis or PostgreSQL read opens one connection on `eventLoopGroup` and
    /// closes it.
    public func makeSource(
        httpClient: HTTPClient = DemandSourceSpec.sharedHTTPClient,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "PodService.Demand", factory: { _ in SwiftLogNoOpLogHandler() })
    ) -> (any DemandSource)? {
        switch source {
        case .leases, .push:
            return nil
        case .httpJSON(let url, let path):
            // The spec was checked when it was made, so these cannot fail; `try?` keeps the factory total anyway.
            guard let url = try? SourceURL(url, key: "url", schemes: ["http", "https"], example: Self.httpExample),
                let path = try? JSONPath(path, key: "path")
            else { return nil }
            return HTTPJSONSource(url: url, path: path, timeout: timeout, client: httpClient, logger: logger)
        case .prometheus(let url, let query):
            guard let url = try? SourceURL(url, key: "url", schemes: ["http", "https"], example: Self.prometheusExample) else { return nil }
            return PrometheusSource(url: url, query: query, timeout: timeout, client: httpClient, logger: logger)
        case .redis(let url, let queue):
            guard let endpoint = try? RedisEndpoint(url) else { return nil }
            return RedisQueueSource(endpoint: endpoint, queue: queue, timeout: timeout, group: eventLoopGroup, logger: logger)
        case .postgres(let url, let query):
            guard let location = try? PostgresQuerySource.location(url) else { return nil }
            return PostgresQuerySource(location: location, query: query, timeout: timeout, group: eventLoopGroup, logger: logger)
        }
    }
}

extension DemandSourceSpec {
    /// The HTTP client the sources use unless given one. Unlike `HTTPClient.shared`, it does not retry a connection
    /// that fails (AsyncHTTPClient's default retries until the deadline), so a refused connection is reported as
    /// such at once instead of as a timeout. It lives as long as the process.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}

/// Turns a number read from a source into a backlog: finite, not negative, rounded up (half a job waiting is a job).
func backlogCount(_ value: Double, what: String) -> Result<Int, Mismatch> {
    guard value.isFinite else { return .failure(Mismatch("\(what) is \(value), not a finite number")) }
    guard value >= 0 else { return .failure(Mismatch("\(what) is \(value); a backlog cannot be negative")) }
    guard value < 1e12 else { return .failure(Mismatch("\(what) is \(value), too large to be a backlog")) }
    return .success(Int(value.rounded(.up)))
}

/// Runs `operation`, failing with `timedOut` if it has not finished within `timeout` (the operation is cancelled).
func withDeadline<T: Sendable>(
    _ timeout: Duration, source: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await firstOf(
        within: timeout,
        orThrow: { DemandSourceError(.timedOut, source: source, message: "no answer within \(timeout.secondsText) (timeoutSeconds).") },
        operation)
}

extension Duration {
    /// `5 s`, `0.25 s`.
    var secondsText: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
