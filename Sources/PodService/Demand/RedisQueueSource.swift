import Foundation
import Logging
import NIOCore
import NIOPosix

/// `redis`: the length of a Celery queue on a Redis broker, the sum of `LLEN` over the queue's four priority lists.
///
/// Each read opens one connection, logs in (`AUTH`), picks the database (`SELECT`), sends the four `LLEN`s at once,
/// and closes: a read every few seconds does not need a pool, and nothing stale survives a broker restart.
struct RedisQueueSource: DemandSource, CustomStringConvertible {
    let endpoint: RedisEndpoint
    let queue: String
    let timeout: Duration
    let group: any EventLoopGroup
    let logger: Logger

    var description: String { "redis \(endpoint.url.redacted) queue \(queue)" }

    func backlog() async throws -> Int {
        let shown = endpoint.url.redacted
        let secrets = endpoint.url.secrets
        do {
            let count = try await withDeadline(timeout, source: shown) { try await read() }
            logger.debug("demand read", metadata: ["source": "\(shown)", "queue": "\(queue)", "backlog": "\(count)"])
            return count
        } catch let error as DemandSourceError {
            throw error.scrubbed(of: secrets)
        } catch let error as RESPProtocolError {
            throw DemandSourceError(.badAnswer, source: shown, message: "the server's reply is not RESP this client reads: \(error).").scrubbed(
                of: secrets)
        } catch {
            throw DemandSourceError(.connectionFailed, source: shown, message: "the connection failed: \(error).").scrubbed(of: secrets)
        }
    }

    private func read() async throws -> Int {
        let shown = endpoint.url.redacted
        let channel = try await connect()
        return try await withTaskCancellationHandler {
            try await channel.executeThenClose { inbound, outbound in
                var replies = inbound.makeAsyncIterator()
                func reply(to command: String) async throws -> RESPValue {
                    guard let value = try await replies.next() else {
                        throw DemandSourceError(.connectionFailed, source: shown, message: "the server closed the connection after \(command).")
                    }
                    return value
                }
                if let password = endpoint.password {
                    try await outbound.write(endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
                    let answer = try await reply(to: "AUTH")
                    guard case .simpleString = answer else { throw failure(answer, after: "AUTH") }
                }
                if endpoint.database != 0 {
                    try await outbound.write(["SELECT", String(endpoint.database)])
                    let answer = try await reply(to: "SELECT")
                    guard case .simpleString = answer else { throw failure(answer, after: "SELECT \(endpoint.database)") }
                }
                let lists = RedisEndpoint.celeryLists(for: queue)
                try await outbound.write(contentsOf: lists.map { ["LLEN", $0] })
                var total = 0
                for list in lists {
                    let answer = try await reply(to: "LLEN")
                    guard case .integer(let length) = answer else {
                        throw failure(answer, after: "LLEN \(list.replacingOccurrences(of: "\u{06}\u{16}", with: "\\x06\\x16"))")
                    }
                    total += length
                }
                return total
            }
        } onCancel: {
            channel.channel.close(promise: nil)
        }
    }

    private func connect() async throws -> NIOAsyncChannel<RESPValue, [String]> {
        let shown = endpoint.url.redacted
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(.nanoseconds(Int64(timeout.nanoseconds)))
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder()))
                        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(RESPEncoder()))
                        return try NIOAsyncChannel<RESPValue, [String]>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch ChannelError.connectTimeout(_) {
            throw DemandSourceError(.timedOut, source: shown, message: "no connection within \(timeout.secondsText) (timeoutSeconds).")
        } catch let error as NIOConnectionError {
            let why = error.connectionErrors.first.map { "\($0.error)" } ?? error.dnsAError.map { "\($0)" } ?? "no address"
            throw DemandSourceError(.connectionFailed, source: shown, message: "cannot connect to \(endpoint.host):\(endpoint.port): \(why).")
        } catch {
            throw DemandSourceError(.connectionFailed, source: shown, message: "cannot connect to \(endpoint.host):\(endpoint.port): \(error).")
        }
    }

    /// The error for a reply that is not the one expected.
    private func failure(_ answer: RESPValue, after command: String) -> DemandSourceError {
        let shown = endpoint.url.redacted
        guard case .error(let message) = answer else {
            return DemandSourceError(.badAnswer, source: shown, message: "unexpected reply to \(command): \(answer).")
        }
        let first = message.prefix { $0 != " " }
        switch first {
        case "NOAUTH":
            return DemandSourceError(
                .authenticationFailed, source: shown,
                message: "the server wants a password (\(message)); write it in the URL, as in \(DemandSourceSpec.redisExample).")
        case "WRONGPASS", "NOPERM":
            return DemandSourceError(.authenticationFailed, source: shown, message: "\(command) refused: \(message).")
        default:
            let code: DemandSourceError.Code = command == "AUTH" ? .authenticationFailed : .queryFailed
            return DemandSourceError(code, source: shown, message: "\(command) failed: \(message).")
        }
    }
}
