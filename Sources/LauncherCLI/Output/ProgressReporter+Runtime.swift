import Foundation
import RunPodAPI

extension Runtime {
    /// A progress reporter on this run's stderr that, when `followingLogs`, follows the pod's log while waiting
    /// (live line, and the last lines of a pod that fails to start). Without a usable key it shows no log: the
    /// command itself reports the missing key.
    func reporter(followingLogs: Bool) -> ProgressReporter {
        guard followingLogs, let credential = try? settings.credential() else { return ProgressReporter(console: console, session: session) }
        let client = RunPodClient(baseURL: settings.apiBaseURL, apiKey: credential.key, logger: logger)
        return ProgressReporter(console: console, session: session, logs: client)
    }
}
