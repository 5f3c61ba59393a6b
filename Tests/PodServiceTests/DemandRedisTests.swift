import Foundation
import Testing

@testable import PodService

/// Reads once through the factory, as the autoscaler will.
private func read(_ url: String, queue: String = "celery") async throws -> Int {
    guard let source = try DemandSourceSpec(.redis(url: url, queue: queue)).makeSource() else { throw DemandTestError("no reader") }
    return try await source.backlog()
}

/// The `DemandSourceError` a read fails with.
private func failure(_ url: String, queue: String = "celery") async -> DemandSourceError? {
    do {
        _ = try await read(url, queue: queue)
        return nil
    } catch {
        return error as? DemandSourceError
    }
}

@Suite(
    "The redis demand source, against a real redis-server",
    .enabled(if: RedisServer.enabled, "redis-server is not installed (apt-get install -y redis-server); .ci/run installs it and requires these tests")
)
struct DemandRedisTests {
    @Test("it sums the queue's list and Celery's three priority lists, and no other queue")
    func sumsPriorities() async throws {
        try await RedisServer.with { redis throws in
            try redis.push(3, onto: "celery")
            try redis.push(2, onto: "celery\u{06}\u{16}3")
            try redis.push(1, onto: "celery\u{06}\u{16}9")
            try redis.push(4, onto: "video")
            try redis.push(8, onto: "celery\u{06}\u{16}5")  // not a priority step kombu uses
            #expect(try await read("redis://127.0.0.1:\(redis.port)") == 6)
            #expect(try await read("redis://127.0.0.1:\(redis.port)", queue: "video") == 4)
        }
    }

    @Test("an empty or missing queue reads 0")
    func empty() async throws {
        try await RedisServer.with { redis throws in
            #expect(try await read("redis://127.0.0.1:\(redis.port)/0", queue: "nothing-here") == 0)
        }
    }

    @Test("it logs in with the URL's password (and user name) and reads the URL's database")
    func authAndDatabase() async throws {
        try await RedisServer.with(password: "p@ss word") { redis throws in
            try redis.push(5, onto: "render", database: 2)
            try redis.push(1, onto: "render\u{06}\u{16}6", database: 2)
            try redis.push(9, onto: "render")
            #expect(try await read("redis://:p%40ss%20word@127.0.0.1:\(redis.port)/2", queue: "render") == 6)
            #expect(try await read("redis://default:p%40ss%20word@127.0.0.1:\(redis.port)/2", queue: "render") == 6)
            #expect(try await read("redis://:p%40ss%20word@127.0.0.1:\(redis.port)", queue: "render") == 9)
        }
    }

    @Test("a wrong password is an authentication failure whose message does not hold the password")
    func wrongPassword() async throws {
        try await RedisServer.with(password: "right-one") { redis throws in
            let error = await failure("redis://:wrong-CANARY@127.0.0.1:\(redis.port)/0")
            #expect(error?.code == .authenticationFailed)
            #expect(error?.message.contains("WRONGPASS") == true, "\(String(describing: error))")
            #expect(error?.source == "redis://***@127.0.0.1:\(redis.port)/0")
            #expect(error.map { !$0.description.contains("wrong-CANARY") && !$0.description.contains("right-one") } == true)
        }
    }

    @Test("no password where one is needed is an authentication failure that says where to write it")
    func missingPassword() async throws {
        try await RedisServer.with(password: "needed") { redis throws in
            let error = await failure("redis://127.0.0.1:\(redis.port)")
            #expect(error?.code == .authenticationFailed)
            #expect(error?.message.contains("NOAUTH") == true && error?.message.contains("redis://:PASSWORD@broker:6379/0") == true)
        }
    }

    @Test("a key that is not a list is a query failure, and a database out of range too")
    func wrongType() async throws {
        try await RedisServer.with { redis throws in
            try redis.command(["SET", "celery", "not a list"])
            let error = await failure("redis://127.0.0.1:\(redis.port)")
            #expect(error?.code == .queryFailed)
            #expect(error?.message.contains("LLEN celery failed: WRONGTYPE") == true, "\(String(describing: error))")
            let select = await failure("redis://127.0.0.1:\(redis.port)/99")
            #expect(select?.code == .queryFailed)
            #expect(select?.message.contains("SELECT 99 failed") == true, "\(String(describing: select))")
        }
    }

    @Test("a stopped server is a connection failure")
    func stopped() async throws {
        let port = try await RedisServer.with { redis in redis.port }
        let error = await failure("redis://127.0.0.1:\(port)")
        #expect(error?.code == .connectionFailed)
    }
}
