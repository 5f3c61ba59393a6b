import Synchronization

/// `operation`'s result, or `timeout()`'s error once `limit` passes, without waiting for `operation` past that: a
/// library call that does not end when cancelled (a query on a connection its peer dropped, a read the other side
/// never answers) cannot hold the caller, and a structured task group would wait for it. At the deadline (or when
/// the caller is cancelled) the operation is cancelled and left to finish on its own.
func firstOf<T: Sendable>(
    within limit: Duration, orThrow timeout: @escaping @Sendable () -> any Error, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = Outcome<T>()
    let work = Task { () -> Void in
        do { outcome.finish(.success(try await operation())) } catch { outcome.finish(.failure(error)) }
    }
    let timer = Task {
        try? await Task.sleep(for: limit)
        outcome.finish(.failure(timeout()))
    }
    defer {
        work.cancel()
        timer.cancel()
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in outcome.wait(continuation) }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// One result, delivered to one waiter, whichever of the operation, the timer or a cancellation comes first.
private final class Outcome<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }

    private let state = Mutex(State())

    func wait(_ continuation: CheckedContinuation<T, any Error>) {
        let ready = state.withLock { state -> Result<T, any Error>? in
            if let result = state.result { return result }
            state.waiter = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready) }
    }

    func finish(_ result: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }
}
