import Foundation
import RunPodEmulator
import Testing

/// Helpers for the logs, ssh, doctor and live-log tests: the CLI in-process against an emulator.
enum Observe {
    /// The environment that points the CLI at `emulator` (with `key`, default the emulator's own).
    static func environment(_ emulator: RunningEmulator, key: String? = nil) throws -> [String: String] {
        [
            "RUNPOD_API_BASE_URL": emulator.baseURL.absoluteString, "RUNPOD_API_KEY": key ?? emulator.apiKey,
            "RUNPOD_LAUNCHER_PROXY_URL": emulator.proxyURLTemplate, "HOME": try temporaryDirectory().path,
        ]
    }

    /// Launches a pod with `arguments` added, waits until it is ready, and returns its ID.
    static func readyPod(_ emulator: RunningEmulator, _ arguments: [String] = []) async throws -> String {
        let result = try await runInProcess(["launch"] + arguments, environment: try environment(emulator))
        try #require(result.status == 0, "launch failed: \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The lines of a pod's whole log, as `logs --json` prints them (one JSON object per line), parsed.
    static func jsonLines(_ stdout: String) throws -> [[String: String]] {
        try stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], "not a JSON log line: \(line)")
        }
    }
}
