import Synchronization

/// Tells waiters in this process that events were committed (the newest event ID), so a long-poll or an SSE stream
/// reads the store again instead of polling it. A wake-up only says "look again": the store stays the truth, so a
/// missed wake-up costs latency, never an event.
public final class ChangeFeed: Sendable {
    private struct State {
        var next = 0
        var finished = false
        var subscribers: [Int: AsyncStream<Int64>.Continuation] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// A stream of committed event IDs, from now on, until the stream is dropped. Only the newest is kept when the
    /// reader falls behind.
    public func subscribe() -> AsyncStream<Int64> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> Int? in
            guard !state.finished else { return nil }
            state.next += 1
            state.subscribers[state.next] = continuation
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Announces that events up to `eventID` are committed.
    func publish(_ eventID: Int64) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(eventID) }
    }

    /// Ends every stream (shutdown).
    public func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
