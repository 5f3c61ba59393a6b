import Foundation
import Logging

/// A small client for the RunPod REST v2 operations the launcher uses.
///
/// Reads and deletes are retried per `retryPolicy`; `createPod` is sent once (see `RunPodAPIError.mayHaveBeenApplied`).
/// The API key goes only into the `Authorization: Bearer` header: never into a URL, a log line or an error.
public struct RunPodClient: Sendable {
    /// The API host, e.g. `https://api.runpod.io`; operations live under `{baseURL}/v2/…`.
    public let baseURL: URL
    /// How reads and deletes are retried.
    public let retryPolicy: RetryPolicy
    /// Longest time one HTTP exchange may take.
    public let requestTimeout: Duration
    let apiKey: APIKey
    let transport: any HTTPTransport
    let clock: any Clock<Duration>
    let logger: Logger
    let rateLimitBox: RateLimitBox
    let retryObserver: (@Sendable (RetryNotice) -> Void)?
    let exchangeObserver: (@Sendable (ExchangeNotice) -> Void)?

    /// Creates a client.
    /// - Parameters:
    ///   - transport: the HTTP seam (tests pass a fake); default AsyncHTTPClient's shared client.
    ///   - retryPolicy: for reads and deletes; `createPod` is never retried by the client.
    ///   - requestTimeout: per HTTP exchange.
    ///   - clock: measures retry budgets and sleeps between tries.
    public init(
        baseURL: URL, apiKey: APIKey, logger: Logger? = nil, transport: any HTTPTransport = AsyncHTTPClientTransport(),
        retryPolicy: RetryPolicy = .default, requestTimeout: Duration = .seconds(30), clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.baseURL = Self.normalize(baseURL)
        self.apiKey = apiKey
        self.logger = logger ?? Logger(label: "runpod.api", factory: { _ in SwiftLogNoOpLogHandler() })
        self.transport = transport
        self.retryPolicy = retryPolicy
        self.requestTimeout = requestTimeout
        self.clock = clock
        self.rateLimitBox = RateLimitBox()
        self.retryObserver = nil
        self.exchangeObserver = nil
    }

    private init(
        copying other: RunPodClient, retryObserver: (@Sendable (RetryNotice) -> Void)?, exchangeObserver: (@Sendable (ExchangeNotice) -> Void)?
    ) {
        self.baseURL = other.baseURL
        self.apiKey = other.apiKey
        self.logger = other.logger
        self.transport = other.transport
        self.retryPolicy = other.retryPolicy
        self.requestTimeout = other.requestTimeout
        self.clock = other.clock
        self.rateLimitBox = other.rateLimitBox
        self.retryObserver = retryObserver
        self.exchangeObserver = exchangeObserver
    }

    /// The request budget RunPod last reported (`RateLimit` / `RateLimit-Policy`), shared by copies of this client.
    public var rateLimit: RateLimitStatus? { rateLimitBox.current }

    /// A copy of this client that also calls `observer` before each retry (after any observer it already had).
    public func observingRetries(_ observer: @escaping @Sendable (RetryNotice) -> Void) -> RunPodClient {
        let previous = retryObserver
        return RunPodClient(
            copying: self,
            retryObserver: { notice in
                previous?(notice)
                observer(notice)
            }, exchangeObserver: exchangeObserver)
    }

    /// A copy of this client that also calls `observer` after every HTTP exchange with RunPod, retries included (a
    /// service counts its API calls by operation this way).
    public func observingExchanges(_ observer: @escaping @Sendable (ExchangeNotice) -> Void) -> RunPodClient {
        let previous = exchangeObserver
        return RunPodClient(
            copying: self, retryObserver: retryObserver,
            exchangeObserver: { notice in
                previous?(notice)
                observer(notice)
            })
    }

    /// A tolerant base: `https://api.runpod.io/`, `…/v2` and `…/graphql` (runpod-python's habit) all mean the host.
    static func normalize(_ url: URL) -> URL {
        var text = url.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        for suffix in ["/v2", "/graphql"] where text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return URL(string: text) ?? url
    }
}

/// A retry the client is about to make, for progress reporting.
public struct RetryNotice: Sendable, Hashable {
    /// The RunPod operation (`getPod`, …).
    public var operation: String
    /// The try about to be made (2 = the first retry).
    public var attempt: Int
    /// The wait before it.
    public var delay: Duration
    /// What went wrong on the previous try.
    public var reason: String
}

/// One HTTP exchange with RunPod, as `observingExchanges` reports it.
public struct ExchangeNotice: Sendable, Hashable {
    /// RunPod's operation name (`listPods`, `createPod`, …).
    public var operation: String
    /// The answer's status; nil when none came (a lost connection, a timeout).
    public var status: Int?

    /// True when the exchange failed: no answer, 429 or 5xx.
    public var failed: Bool { status.map { $0 == 429 || $0 >= 500 } ?? true }
}

/// One RunPod operation, described as data.
struct Endpoint: Sendable {
    var operation: String
    var method: String
    var path: [String]
    var query: [URLQueryItem] = []
    var body: Data? = nil
    var headers: [(name: String, value: String)] = []
    /// Reads and deletes: safe to send again. Creates are not.
    var idempotent: Bool
}

extension RunPodClient {
    /// The URL of an endpoint: `{base}/v2/{path…}?{query}`, each path segment percent-encoded.
    func url(for endpoint: Endpoint) throws -> URL {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        let segments = endpoint.path.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }
        guard var components = URLComponents(string: baseURL.absoluteString + "/v2/" + segments.joined(separator: "/")) else {
            throw RunPodAPIError(operation: endpoint.operation, kind: .transport, message: "the API base URL \(baseURL) is not usable")
        }
        if !endpoint.query.isEmpty { components.queryItems = endpoint.query }
        guard let url = components.url else {
            throw RunPodAPIError(operation: endpoint.operation, kind: .transport, message: "the API base URL \(baseURL) is not usable")
        }
        return url
    }

    func request(for endpoint: Endpoint) throws -> HTTPRequest {
        var headers: [(name: String, value: String)] = [
            ("Authorization", "Bearer \(apiKey.secret)"),
            ("Accept", "application/json, application/problem+json"),
            ("User-Agent", "runpod-launcher"),
        ]
        if endpoint.body != nil { headers.append(("Content-Type", "application/json")) }
        headers += endpoint.headers
        return HTTPRequest(method: endpoint.method, url: try url(for: endpoint), headers: headers, body: endpoint.body, timeout: requestTimeout)
    }

    /// Sends an endpoint, retrying per policy when it is idempotent; returns the 2xx answer or throws `RunPodAPIError`.
    func perform(_ endpoint: Endpoint) async throws -> HTTPResponse {
        let request = try request(for: endpoint)
        let stopwatch = Stopwatch(clock: clock)
        var logger = self.logger
        logger[metadataKey: "operation"] = "\(endpoint.operation)"
        var attempts: [String] = []
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            logger.trace("sending", metadata: ["http.method": "\(request.method)", "http.path": "\(request.url.path)", "attempt": "\(attempt)"])
            var failure: RunPodAPIError
            do {
                let response: HTTPResponse
                do {
                    response = try await transport.send(request)
                } catch {
                    exchangeObserver?(ExchangeNotice(operation: endpoint.operation, status: nil))
                    throw error
                }
                exchangeObserver?(ExchangeNotice(operation: endpoint.operation, status: response.status))
                rateLimitBox.update(RateLimitStatus(rateLimit: response.header("RateLimit"), policy: response.header("RateLimit-Policy")))
                logger.debug("answered", metadata: ["http.status": "\(response.status)", "attempt": "\(attempt)"])
                if (200..<300).contains(response.status) { return response }
                failure = RunPodAPIError.fromHTTP(response, operation: endpoint.operation)
            } catch let error as CancellationError {
                throw error
            } catch let error as TransportError {
                failure = RunPodAPIError(
                    operation: endpoint.operation, kind: error.kind == .timeout ? .timeout : .transport,
                    mayHaveBeenApplied: error.requestMayHaveBeenSent,
                    message: error.requestMayHaveBeenSent && !endpoint.idempotent
                        ? "\(error.message); the request was sent, so RunPod may have acted on it"
                        : error.message)
            } catch let error as RunPodAPIError {
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                failure = RunPodAPIError(
                    operation: endpoint.operation, kind: .transport, mayHaveBeenApplied: true, message: "the request failed: \(error)")
            }
            attempts.append(failure.attemptLine)
            let transient: Bool =
                switch failure.kind {
                case .transport, .timeout: true
                case .http(let status): status == 429 || status >= 500
                case .malformedResponse: false
                }
            if endpoint.idempotent, transient,
                let delay = retryPolicy.delay(beforeRetry: attempt, retryAfter: failure.retryAfter, elapsed: stopwatch.elapsed)
            {
                logger.debug("retrying", metadata: ["attempt": "\(attempt + 1)", "delay": "\(delay)", "reason": "\(failure.attemptLine)"])
                retryObserver?(RetryNotice(operation: endpoint.operation, attempt: attempt + 1, delay: delay, reason: failure.attemptLine))
                try await clock.pause(for: delay)
                continue
            }
            failure.attempts = attempts
            if attempts.count > 1 { failure.message = "gave up after \(attempts.count) tries: \(failure.message)" }
            throw failure
        }
    }

    /// Sends an endpoint and decodes its JSON answer.
    func perform<T: Decodable>(_ endpoint: Endpoint, decoding type: T.Type) async throws -> T {
        let response = try await perform(endpoint)
        // A create that succeeded but whose answer we cannot read has still created something.
        return try ResponseDecoding.decode(type, from: response, operation: endpoint.operation, mayHaveBeenApplied: !endpoint.idempotent)
    }
}
