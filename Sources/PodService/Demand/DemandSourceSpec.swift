import Foundation

/// Where a pool's backlog comes from: the `source` of a pool, in profiles.toml's `[pools.NAME]` or in the JSON of
/// `PUT /v1/pools/{name}`, e.g. `source = {kind = "redis", url = "redis://:secret@broker:6379/0", queue = "celery"}`.
///
/// A spec is checked when it is made (`init(_:timeout:)`, `init(toml:)`, decoding), so a pool never runs with a source
/// it cannot read. `Codable` round-trips it as written, passwords included (for the service's own storage); show
/// people `redacted` or `description` instead.
public struct DemandSourceSpec: Sendable, Hashable {
    /// The kinds of source, spelled as in `kind`.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// No outside source: waiting lease requests are the only backlog.
        case leases
        /// The service's own `PUT /v1/pools/{name}/demand`.
        case push
        /// A number at a JSON path in an HTTP answer.
        case httpJSON = "http-json"
        /// A Prometheus instant query.
        case prometheus
        /// A Celery queue on a Redis broker.
        case redis
        /// A SQL query on a PostgreSQL database (a job table).
        case postgres
    }

    /// A source and its settings.
    public enum Source: Sendable, Hashable {
        /// No outside source (the default).
        case leases
        /// Pushed with `PUT /v1/pools/{name}/demand {"backlog": N}`; a value counts for `ttl` unless pushed again.
        case push(ttl: Duration)
        /// `GET url`, then the number at `path`: `queues.celery`, `$.data[0].value`, or for Flower's
        /// `/api/queues/length`, `active_queues[name=celery].messages`. Userinfo in the URL is sent as basic auth.
        case httpJSON(url: String, path: String)
        /// `GET url/api/v1/query?query=…`; the answer must be one scalar or a vector of exactly one sample.
        case prometheus(url: String, query: String)
        /// `redis://[[user]:password@]host[:port][/db]`: the sum of `LLEN` over Celery's lists for `queue`.
        case redis(url: String, queue: String)
        /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=disable|prefer|require]`, then `query`, which must
        /// return one row with one numeric column (`SELECT count(*) FROM jobs WHERE state = 'queued'`); NULL reads 0.
        /// It runs in a READ ONLY transaction whose `statement_timeout` is the spec's timeout.
        case postgres(url: String, query: String)
    }

    /// The source.
    public let source: Source
    /// How long one read may take, connecting included, before it fails with `timedOut`.
    public let timeout: Duration

    /// How long a read may take unless `timeoutSeconds` says otherwise.
    public static let defaultTimeout: Duration = .seconds(5)
    /// How long a pushed backlog counts unless `ttlSeconds` says otherwise.
    public static let defaultPushTTL: Duration = .seconds(60)
    /// The queue a Celery app uses unless told otherwise.
    public static let defaultQueue = "celery"
    /// The default source: waiting lease requests only.
    public static let leases = DemandSourceSpec(checked: .leases, timeout: defaultTimeout)

    /// Checks and creates a spec; the error names the key that is wrong and what to write.
    public init(_ source: Source, timeout: Duration = defaultTimeout) throws(DemandSourceError) {
        try Self.check(source, timeout: timeout)
        self.init(checked: source, timeout: timeout)
    }

    private init(checked source: Source, timeout: Duration) {
        self.source = source
        self.timeout = timeout
    }

    /// The kind, as spelled in `kind`.
    public var kind: Kind {
        switch source {
        case .leases: .leases
        case .push: .push
        case .httpJSON: .httpJSON
        case .prometheus: .prometheus
        case .redis: .redis
        case .postgres: .postgres
        }
    }

    /// Whether the backlog is read from outside the service (`http-json`, `prometheus`, `redis`, `postgres`).
    public var readsOutside: Bool { kind != .leases && kind != .push }

    /// The same spec with every password and token in its URL replaced by `***`, for `GET /v1/pools` and logs.
    public var redacted: DemandSourceSpec {
        switch source {
        case .leases, .push: self
        case .httpJSON(let url, let path): DemandSourceSpec(checked: .httpJSON(url: SourceURL.redact(url), path: path), timeout: timeout)
        case .prometheus(let url, let query): DemandSourceSpec(checked: .prometheus(url: SourceURL.redact(url), query: query), timeout: timeout)
        case .redis(let url, let queue): DemandSourceSpec(checked: .redis(url: SourceURL.redact(url), queue: queue), timeout: timeout)
        // Only the password: a PostgreSQL user name alone is not a secret (SourceURL.redact would hide it as a token).
        case .postgres(let url, let query): DemandSourceSpec(checked: .postgres(url: PostgresLocation.redacting(url), query: query), timeout: timeout)
        }
    }

    // MARK: Checking

    static let httpExample = "http://flower:5555/api/queues/length"
    static let prometheusExample = "http://prometheus:9090"
    static let redisExample = "redis://:PASSWORD@broker:6379/0"
    static let postgresExample = "postgres://USER:PASSWORD@db:5432/jobs"
    static let postgresQueryExample = "SELECT count(*) FROM jobs WHERE state = 'queued'"

    private static func check(_ source: Source, timeout: Duration) throws(DemandSourceError) {
        guard timeout > .zero, timeout <= .seconds(60) else {
            throw .spec("timeoutSeconds", "must be more than 0 and at most 60 seconds, not \(timeout).")
        }
        switch source {
        case .leases:
            break
        case .push(let ttl):
            guard ttl >= .seconds(1) else { throw .spec("ttlSeconds", "must be at least 1 second, not \(ttl).") }
        case .httpJSON(let url, let path):
            _ = try SourceURL(url, key: "url", schemes: ["http", "https"], example: httpExample)
            _ = try JSONPath(path, key: "path")
        case .prometheus(let url, let query):
            let parsed = try SourceURL(url, key: "url", schemes: ["http", "https"], example: prometheusExample)
            if parsed.components.path.hasSuffix("/api/v1/query") {
                throw .spec("url", "is the server's base URL; the service adds /api/v1/query itself: write url = \"\(prometheusExample)\".")
            }
            guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .spec("query", "is empty; write a PromQL query that returns one number, as in query = \"sum(celery_queue_length)\".")
            }
        case .redis(let url, let queue):
            _ = try RedisEndpoint(url)
            guard !queue.isEmpty else { throw .spec("queue", "is empty; write the Celery queue's name, as in queue = \"celery\".") }
        case .postgres(let url, let query):
            _ = try PostgresQuerySource.location(url)
            guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .spec("query", "is empty; write a query that returns one row with one number, as in query = \"\(postgresQueryExample)\".")
            }
        }
    }
}

extension DemandSourceSpec: CustomStringConvertible {
    /// One line, redacted: `redis redis://***@broker:6379/0 queue celery`, `postgres postgres://reader:***@db/jobs query SELECT …`.
    public var description: String {
        switch redacted.source {
        case .leases: "leases"
        case .push(let ttl): "push (ttl \(ttl))"
        case .httpJSON(let url, let path): "http-json \(url) path \(path)"
        case .prometheus(let url, let query): "prometheus \(url) query \(query)"
        case .redis(let url, let queue): "redis \(url) queue \(queue)"
        case .postgres(let url, let query): "postgres \(url) query \(query)"
        }
    }
}
