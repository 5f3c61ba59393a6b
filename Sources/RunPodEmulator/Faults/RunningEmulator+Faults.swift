import Foundation

extension RunningEmulator {
    /// Waits until no request is being handled (a request held by a `latency` or `lostRequest` fault finishes
    /// after its client gave up), so a test counts pods only once every create it sent has landed or been lost.
    /// Returns false if requests were still in flight after `timeout`.
    @discardableResult
    public func waitUntilIdle(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while core.faults.requestsInFlight > 0 {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
