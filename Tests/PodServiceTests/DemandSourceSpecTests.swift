import Foundation
import NIOCore
import TOMLKit
import Testing

@testable import PodService

/// Reads `source = {…}` the way profiles.toml's `[pools.NAME]` table holds it.
private func spec(toml inline: String) throws -> DemandSourceSpec {
    let document = try TOMLTable(string: "source = \(inline)\n")
    guard let table = document["source"]?.table else { throw DemandTestError("source is not a table") }
    return try DemandSourceSpec(toml: table)
}

@Suite("Demand source declarations")
struct DemandSourceSpecTests {
    @Test(
        "each kind of source is read from a TOML inline table",
        arguments: [
            (#"{kind = "leases"}"#, DemandSourceSpec.Source.leases),
            (#"{kind = "push"}"#, .push(ttl: .seconds(60))),
            (#"{kind = "push", ttlSeconds = 90}"#, .push(ttl: .seconds(90))),
            (
                #"{kind = "http-json", url = "http://flower:5555/api/queues/length", path = "active_queues[name=celery].messages"}"#,
                .httpJSON(url: "http://flower:5555/api/queues/length", path: "active_queues[name=celery].messages")
            ),
            (
                #"{kind = "prometheus", url = "http://prom:9090", query = "sum(celery_queue_length)"}"#,
                .prometheus(url: "http://prom:9090", query: "sum(celery_queue_length)")
            ),
            (#"{kind = "redis", url = "redis://:pw@broker:6379/1", queue = "render"}"#, .redis(url: "redis://:pw@broker:6379/1", queue: "render")),
            (#"{kind = "redis", url = "redis://broker"}"#, .redis(url: "redis://broker", queue: "celery")),
            (
                #"{kind = "postgres", url = "postgres://reader:pw@db:5432/app?sslmode=require", query = "SELECT count(*) FROM jobs WHERE state = 'queued'"}"#,
                .postgres(url: "postgres://reader:pw@db:5432/app?sslmode=require", query: "SELECT count(*) FROM jobs WHERE state = 'queued'")
            ),
            (
                #"{kind = "postgres", url = "postgresql://reader@db/app", query = "SELECT 1"}"#,
                .postgres(url: "postgresql://reader@db/app", query: "SELECT 1")
            ),
        ])
    func readsTOML(inline: String, expected: DemandSourceSpec.Source) throws {
        let read = try spec(toml: inline)
        #expect(read.source == expected)
        #expect(read.timeout == DemandSourceSpec.defaultTimeout)
    }

    @Test("timeoutSeconds sets the read timeout, in whole or fractional seconds")
    func timeoutSeconds() throws {
        #expect(try spec(toml: #"{kind = "redis", url = "redis://b", timeoutSeconds = 2}"#).timeout == .seconds(2))
        #expect(try spec(toml: #"{kind = "redis", url = "redis://b", timeoutSeconds = 0.25}"#).timeout == .milliseconds(250))
    }

    @Test(
        "a wrong source names the key that is wrong and what to write",
        arguments: [
            (
                #"{url = "redis://b"}"#, "kind",
                "is missing; write kind = one of \"leases\", \"push\", \"http-json\", \"prometheus\", \"redis\", \"postgres\""
            ),
            (#"{kind = "rabbitmq"}"#, "kind", "'rabbitmq' is not a kind of source"),
            (#"{kind = 3}"#, "kind", "expected a string"),
            (#"{kind = "redis"}"#, "url", "is missing; write url = \"redis://:PASSWORD@broker:6379/0\""),
            (#"{kind = "redis", url = "http://broker:6379"}"#, "url", "must start with redis://, not http://"),
            (#"{kind = "redis", url = "rediss://broker:6380"}"#, "url", "TLS (rediss://) is not supported"),
            (#"{kind = "redis", url = "redis://broker/celery"}"#, "url", "is not a database number"),
            (#"{kind = "redis", url = "redis://b", queue = ""}"#, "queue", "is empty"),
            (#"{kind = "http-json", url = "ftp://x/y", path = "a"}"#, "url", "must start with http:// or https://, not ftp://"),
            (#"{kind = "http-json", url = "http://x/y"}"#, "path", "is missing; write path ="),
            (#"{kind = "http-json", url = "http://x/y", path = "a[0"}"#, "path", "a '[' is never closed"),
            (#"{kind = "http-json", url = "not a url", path = "a"}"#, "url", "write url = \"http://flower:5555/api/queues/length\""),
            (#"{kind = "prometheus", url = "http://p:9090/api/v1/query", query = "up"}"#, "url", "the service adds /api/v1/query itself"),
            (#"{kind = "prometheus", url = "http://p:9090"}"#, "query", "is missing"),
            (#"{kind = "push", url = "http://x"}"#, "url", "is not a key of a push source; its keys are kind, ttlSeconds"),
            (#"{kind = "push", ttlSeconds = "1m"}"#, "ttlSeconds", "expected a number of seconds, got a string"),
            (#"{kind = "redis", url = "redis://b", timeoutSeconds = 600}"#, "timeoutSeconds", "at most 60 seconds"),
            (#"{kind = "redis", url = "redis://b", timeoutSeconds = -1}"#, "timeoutSeconds", "must be a positive number of seconds"),
            (#"{kind = "postgres", query = "SELECT 1"}"#, "url", "is missing; write url = \"postgres://USER:PASSWORD@db:5432/jobs\""),
            (
                #"{kind = "postgres", url = "postgres://u@db/app"}"#, "query",
                "is missing; write query = \"SELECT count(*) FROM jobs WHERE state = 'queued'\""
            ),
            (#"{kind = "postgres", url = "postgres://u@db/app", query = " "}"#, "query", "is empty"),
            (
                #"{kind = "postgres", url = "mysql://u@db/app", query = "SELECT 1"}"#, "url",
                "must start with postgres:// or postgresql://, not mysql://"
            ),
            (
                #"{kind = "postgres", url = "postgres://:pw@db/app", query = "SELECT 1"}"#, "url",
                "names no user: write postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            ),
            (#"{kind = "postgres", url = "postgres://u:pw@db", query = "SELECT 1"}"#, "url", "\"postgres://u:***@db\" names no database"),
            (
                #"{kind = "postgres", url = "postgres://u@db/app?sslmode=sometimes", query = "SELECT 1"}"#, "url",
                "sslmode=sometimes is not one of"
            ),
            (#"{kind = "postgres", url = "postgres://u@db/app?password=x", query = "SELECT 1"}"#, "url", "the URL option \"password\" is not known"),
            (#"{kind = "postgres", url = "postgres://u@db/app", query = "SELECT 1", queue = "q"}"#, "queue", "is not a key of a postgres source"),
        ])
    func namesWhatIsWrong(inline: String, key: String, message: String) {
        let error = #expect(throws: DemandSourceError.self) { try spec(toml: inline) }
        #expect(error?.code == .invalidSpec)
        #expect(error?.key == key)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test("a source round-trips through the pool JSON, defaults left out")
    func roundTripsJSON() throws {
        let specs = [
            DemandSourceSpec.leases,
            try DemandSourceSpec(.push(ttl: .seconds(30))),
            try DemandSourceSpec(.httpJSON(url: "https://u:p@flower/api/queues/length", path: "$.active_queues[0].messages"), timeout: .seconds(2)),
            try DemandSourceSpec(.prometheus(url: "http://prom:9090", query: "sum(rate(x[1m])) + 1"), timeout: .milliseconds(1500)),
            try DemandSourceSpec(.redis(url: "redis://:secret@broker:6379/2", queue: "render")),
            try DemandSourceSpec(
                .postgres(url: "postgres://reader:s%40cret@db:5433/app?sslmode=disable", query: "SELECT sum(n) FROM jobs"), timeout: .seconds(3)),
        ]
        for spec in specs {
            let data = try JSONEncoder().encode(spec)
            #expect(try JSONDecoder().decode(DemandSourceSpec.self, from: data) == spec)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let redis = try encoder.encode(specs[4])
        #expect(String(decoding: redis, as: UTF8.self) == #"{"kind":"redis","queue":"render","url":"redis:\/\/:secret@broker:6379\/2"}"#)
        let postgres = String(decoding: try encoder.encode(specs[5]), as: UTF8.self)
        #expect(
            postgres
                == #"{"kind":"postgres","query":"SELECT sum(n) FROM jobs","timeoutSeconds":3,"url":"postgres:\/\/reader:s%40cret@db:5433\/app?sslmode=disable"}"#
        )
    }

    @Test("a wrong source in JSON fails decoding with the same message and the key in the coding path")
    func jsonErrors() throws {
        let body = Data(#"{"kind": "redis", "url": "amqp://guest@rabbit//"}"#.utf8)
        let error = #expect(throws: DecodingError.self) { try JSONDecoder().decode(DemandSourceSpec.self, from: body) }
        guard case .dataCorrupted(let context)? = error else { throw DemandTestError("expected dataCorrupted, got \(String(describing: error))") }
        #expect(context.debugDescription == "source.url: must start with redis://, not amqp://; write url = \"redis://:PASSWORD@broker:6379/0\".")
        #expect(context.codingPath.map(\.stringValue) == ["url"])
        #expect((context.underlyingError as? DemandSourceError)?.code == .invalidSpec)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(DemandSourceSpec.self, from: Data(#"{"kind": "push", "ttlSeconds": true}"#.utf8))
        }
    }

    @Test(
        "redaction hides the userinfo's password and credential-like query values",
        arguments: [
            ("redis://:secret@broker:6379/0", "redis://***@broker:6379/0"),
            ("redis://default:secret@broker:6379/0", "redis://default:***@broker:6379/0"),
            ("https://TOKEN123@flower/api", "https://***@flower/api"),
            ("http://user:p%40ss@host:9090/x?token=abc&q=1&api_key=k#f", "http://user:***@host:9090/x?token=***&q=1&api_key=***#f"),
            ("http://host/x?query=up", "http://host/x?query=up"),
            ("not a url with secret@", "not a url with secret@"),
        ])
    func redaction(url: String, expected: String) {
        #expect(SourceURL.redact(url) == expected)
    }

    @Test("a spec's description and redacted copy never show the password")
    func specRedacted() throws {
        let spec = try DemandSourceSpec(.redis(url: "redis://user:hunter2@broker:6379/3", queue: "celery"))
        #expect(spec.description == "redis redis://user:***@broker:6379/3 queue celery")
        #expect(spec.redacted.source == .redis(url: "redis://user:***@broker:6379/3", queue: "celery"))
        let shown = String(decoding: try JSONEncoder().encode(spec.redacted), as: UTF8.self)
        #expect(!shown.contains("hunter2"))
    }

    @Test("a postgres spec's description, redacted copy and errors hide the password and keep the user name")
    func postgresRedacted() throws {
        let spec = try DemandSourceSpec(.postgres(url: "postgres://reader:hunter%402@db:5432/app?sslmode=require", query: "SELECT 1"))
        #expect(spec.description == "postgres postgres://reader:***@db:5432/app?sslmode=require query SELECT 1")
        #expect(spec.redacted.source == .postgres(url: "postgres://reader:***@db:5432/app?sslmode=require", query: "SELECT 1"))
        let shown = String(decoding: try JSONEncoder().encode(spec.redacted), as: UTF8.self)
        #expect(!shown.contains("hunter"))
        let trusted = try DemandSourceSpec(.postgres(url: "postgres://reader@db/app", query: "SELECT 1"))
        #expect(trusted.redacted == trusted)
        let error = #expect(throws: DemandSourceError.self) {
            try DemandSourceSpec(.postgres(url: "postgres://reader:hunter2@db/app?sslmode=maybe", query: "SELECT 1"))
        }
        #expect(error.map { !$0.description.contains("hunter2") } == true, "\(String(describing: error))")
        #expect(
            (try DemandSourceSpec(.postgres(url: "postgres://reader:hunter2@db/app", query: "SELECT 1")).makeSource()).map { "\($0)" }?.contains(
                "hunter2") == false)
    }

    @Test(
        "a JSON path reads keys, indexes, quoted keys and field=value matches",
        arguments: [
            ("queues.celery", #"{"queues": {"celery": 4}}"#, 4.0),
            ("$.data[0].value", #"{"data": [{"value": 2.5}, {"value": 9}]}"#, 2.5),
            ("$", "17", 17.0),
            ("['a.b'][1]", #"{"a.b": [0, 8]}"#, 8.0),
            ("active_queues[name=video].messages", #"{"active_queues": [{"name": "celery", "messages": 1}, {"name": "video", "messages": 5}]}"#, 5.0),
            ("items[id=\"7\"].n", #"{"items": [{"id": 7, "n": 3}]}"#, 3.0),
        ])
    func jsonPaths(path: String, document: String, expected: Double) throws {
        let parsed = try JSONPath(path, key: "path")
        let value = try JSONDecoder().decode(SourceJSON.self, from: Data(document.utf8))
        #expect(try parsed.value(in: value).get() == .number(expected))
    }

    @Test("a JSON path that does not match says where it stopped")
    func jsonPathMiss() throws {
        let document = try JSONDecoder().decode(SourceJSON.self, from: Data(#"{"active_queues": [{"name": "celery", "messages": 1}]}"#.utf8))
        let miss = { (path: String) throws -> String in
            guard case .failure(let miss) = try JSONPath(path, key: "path").value(in: document) else { return "matched" }
            return miss.message
        }
        #expect(try miss("queues.celery") == "$ has no key 'queues' (its keys: active_queues)")
        #expect(try miss("active_queues[3]") == "$.active_queues has 1 elements, so no [3]")
        #expect(try miss("active_queues[name=video]") == "$.active_queues has no element whose name is 'video'")
        #expect(try miss("active_queues.name") == "$.active_queues is an array, so the path cannot go on with key 'name'")
    }

    @Test("Celery's lists for a queue are the queue itself and NAME\\x06\\x16 followed by 3, 6 and 9")
    func celeryLists() {
        let lists = RedisEndpoint.celeryLists(for: "celery").map { Array($0.utf8) }
        let separator: [UInt8] = [0x06, 0x16]
        #expect(
            lists == [
                Array("celery".utf8), Array("celery".utf8) + separator + [0x33], Array("celery".utf8) + separator + [0x36],
                Array("celery".utf8) + separator + [0x39],
            ])
    }

    @Test("a Redis URL gives host, port, credentials and database, with defaults")
    func redisEndpoint() throws {
        let full = try RedisEndpoint("redis://worker:p%40ss@10.0.0.5:6380/4")
        #expect((full.host, full.port, full.username, full.password, full.database) == ("10.0.0.5", 6380, "worker", "p@ss", 4))
        let bare = try RedisEndpoint("redis://broker")
        #expect((bare.host, bare.port, bare.username, bare.password, bare.database) == ("broker", 6379, nil, nil, 0))
        let passwordOnly = try RedisEndpoint("redis://:pw@broker/")
        #expect(passwordOnly.username == nil && passwordOnly.password == "pw")
    }

    @Test("the RESP reader reads integers, simple strings, errors and bulk strings, and waits for whole replies")
    func respReplies() throws {
        func parse(_ text: String) throws -> RESPValue? { try RESPParser.parse(Array(text.utf8))?.value }
        #expect(try parse(":42\r\n") == .integer(42))
        #expect(try parse("+OK\r\n") == .simpleString("OK"))
        #expect(try parse("-WRONGPASS invalid username-password pair\r\n") == .error("WRONGPASS invalid username-password pair"))
        #expect(try parse("$3\r\nfoo\r\n") == .bulkString(Array("foo".utf8)))
        #expect(try parse("$-1\r\n") == .bulkString(nil))
        #expect(try parse(":4") == nil)
        #expect(try parse("$3\r\nfo") == nil)
        #expect(try RESPParser.parse(Array(":1\r\n:2\r\n".utf8))?.consumed == 4)
    }

    @Test("the RESP reader refuses arrays, RESP3 types and malformed numbers, naming what it got")
    func respRefuses() {
        for (reply, says) in [("*2\r\n:1\r\n:2\r\n", "type '*'"), ("%1\r\n", "type '%'"), (":x\r\n", "holds 'x'"), ("$9999999\r\n", "bad length")] {
            let error = #expect(throws: RESPProtocolError.self) { try RESPParser.parse(Array(reply.utf8)) }
            #expect(error?.description.contains(says) == true, "\(String(describing: error))")
        }
    }

    @Test("a command is sent as a RESP array of bulk strings")
    func respEncoding() {
        var buffer = ByteBuffer()
        RESPParser.encode(["LLEN", "celery\u{06}\u{16}3"], into: &buffer)
        #expect(Array(buffer.readableBytesView) == Array("*2\r\n$4\r\nLLEN\r\n$9\r\ncelery\u{06}\u{16}3\r\n".utf8))
    }

    @Test("the OpenAPI document has one DemandSource schema per kind, with the keys that kind reads")
    func openAPISchemas() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../Sources/PodService/Resources/openapi.json")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let schemas = (document?["components"] as? [String: Any])?["schemas"] as? [String: Any]
        let oneOf = try #require((schemas?["DemandSource"] as? [String: Any])?["oneOf"] as? [[String: Any]])
        var keysByKind: [String: Set<String>] = [:]
        for schema in oneOf {
            let properties = try #require(schema["properties"] as? [String: Any])
            let kind = try #require((properties["kind"] as? [String: Any])?["const"] as? String)
            keysByKind[kind] = Set(properties.keys)
        }
        #expect(
            keysByKind == Dictionary(uniqueKeysWithValues: DemandSourceSpec.Kind.allCases.map { ($0.rawValue, Set(DemandSourceSpec.keys(for: $0))) }))
    }

    @Test("leases and push have no outside reader; the other kinds do")
    func factory() throws {
        #expect(DemandSourceSpec.leases.makeSource() == nil)
        #expect(try DemandSourceSpec(.push(ttl: .seconds(5))).makeSource() == nil)
        #expect(try DemandSourceSpec(.redis(url: "redis://b", queue: "q")).makeSource() is RedisQueueSource)
        #expect(try DemandSourceSpec(.prometheus(url: "http://p:9090", query: "up")).makeSource() is PrometheusSource)
        #expect(try DemandSourceSpec(.httpJSON(url: "http://f/x", path: "a")).makeSource() is HTTPJSONSource)
        #expect(try DemandSourceSpec(.postgres(url: "postgres://u@db/app", query: "SELECT 1")).makeSource() is PostgresQuerySource)
    }
}
