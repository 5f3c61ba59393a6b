import Foundation
import Logging
import PodLauncher
import PodService
import RunPodAPI
import RunPodEmulator

/// `demo --service`: the service against an in-process emulator, driven over HTTP as a Python backend would drive it.
extension DemoCommand {
    static func runService(timeScale: Double, console: any Console, logger: Logger) async throws {
        try await withEmulator(EmulatorOptions(port: 0, timeScale: timeScale)) { emulator in
            console.err("demo --service: a local RunPod emulator runs at \(emulator.baseURL.absoluteString) (every RunPod delay ×\(timeScale)).")
            let quiet = Logger(label: "demo.service", factory: { _ in SwiftLogNoOpLogHandler() })
            let metrics = ServiceMetrics()
            let client = metrics.counting(RunPodClient(baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey), logger: quiet))
            let launcher = RunPodLauncher(
                client: client, configuration: LauncherConfiguration(proxyURLTemplate: emulator.proxyURLTemplate), ledger: nil, logger: quiet)
            let store = try await LaunchStore.open(.sqliteMemory, logger: quiet, render: { String(buffer: LaunchView.encode($0, now: Date())) })
            let token = PodIdentity.randomHex(40)
            try await PodService.withRunning(logger: quiet) { onListening in
                PodService(
                    store: store, launcher: launcher, intake: LaunchIntake(profiles: nil, environment: [:]),
                    token: ServiceToken(token, source: "demo"), metrics: metrics,
                    options: .init(host: "127.0.0.1", port: 0, reconciler: ReconcilerSettings(tick: .milliseconds(200))), logger: quiet,
                    onListening: onListening)
            } _: { port in
                try await walkThrough(DemoAPI(base: "http://127.0.0.1:\(port)", token: token), console: console)
            }
            guard await emulator.state().pods.allSatisfy({ !$0.alive }) else {
                throw CLIError.usage("demo --service: the emulator still shows a pod alive; this is a bug, please report it.")
            }
            console.err("demo --service: done. The emulator confirms every pod terminated; nothing is left running.")
            console.err("Next: `runpod-launcher serve` (see README, \"The service\") and call it from your backend.")
        }
    }

    private static func walkThrough(_ api: DemoAPI, console: any Console) async throws {
        console.err("demo --service: the service listens on \(api.base) (token in the Authorization header, as your backend sends it).")
        let created = try await api.call("POST", "/v1/pods", body: #"{"name": "demo-from-a-backend", "gpus": ["NVIDIA GeForce RTX 4090"]}"#)
        let id = created.json["id"] as? String ?? ""
        console.err("  1/4 POST /v1/pods → \(created.status), launch \(id) \(created.json["state"] as? String ?? "?")")
        let ready = try await api.call("GET", "/v1/pods/\(id)?wait=ready&timeoutSeconds=120")
        let url = (ready.json["urls"] as? [String: String])?["8188"] ?? ""
        console.err(
            "  2/4 GET /v1/pods/\(id)?wait=ready → \(ready.json["state"] as? String ?? "?"), pod \(ready.json["podId"] as? String ?? "?") at \(url)")
        if let appURL = URL(string: url + "/system_stats") {
            console.err("  3/4 your code talks to ComfyUI: GET \(appURL.absoluteString) → \(try await fetch(appURL))")
        }
        let deleted = try await api.call("DELETE", "/v1/pods/\(id)")
        console.err("  4/4 DELETE /v1/pods/\(id) → \(deleted.status) \(deleted.json["state"] as? String ?? "?")")
        var state = deleted.json["state"] as? String
        for _ in 0..<600 where state != "terminated" {
            try await Task.sleep(for: .milliseconds(100))
            state = try await api.call("GET", "/v1/pods/\(id)").json["state"] as? String
        }
        console.err("      the launch is \(state ?? "?"): RunPod confirmed the pod gone.")
    }
}

/// The service's API as the demo calls it.
struct DemoAPI {
    let base: String
    let token: String

    struct Answer {
        var status: Int
        var json: [String: Any]
    }

    func call(_ method: String, _ path: String, body: String? = nil) async throws -> Answer {
        guard let url = URL(string: base + path) else { throw CLIError.usage("demo --service: bad URL \(base + path)") }
        var headers = [("Authorization", "Bearer \(token)")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let response = try await AsyncHTTPClientTransport().send(
            HTTPRequest(method: method, url: url, headers: headers, body: body.map { Data($0.utf8) }, timeout: .seconds(150)))
        let json = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        return Answer(status: response.status, json: json)
    }
}
