/// Work over many pods with a bound on how much runs at once (creates, probes, terminates: `LaunchOptions.concurrency`).
enum Concurrently {
    /// `body` for each item, at most `limit` at a time; the results in input order. The first error ends it (the
    /// rest are cancelled).
    static func map<T: Sendable, R: Sendable>(_ items: [T], limit: Int, _ body: @escaping @Sendable (T) async throws -> R) async throws -> [R] {
        try await withThrowingTaskGroup(of: (Int, R).self) { group in
            var results = [R?](repeating: nil, count: items.count)
            var next = 0
            func addNext() {
                guard next < items.count else { return }
                let (index, item) = (next, items[next])
                next += 1
                group.addTask { (index, try await body(item)) }
            }
            for _ in 0..<max(1, limit) { addNext() }
            while let (index, result) = try await group.next() {
                results[index] = result
                addNext()
            }
            return results.compactMap { $0 }
        }
    }
}
