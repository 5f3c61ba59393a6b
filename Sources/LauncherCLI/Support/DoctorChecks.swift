import Foundation
import Logging
import PodLauncher
import RunPodAPI

/// One `doctor` finding: what was checked, how it went, and how to fix it.
struct DoctorCheck: Sendable, Equatable, Encodable {
    /// How a check went.
    enum Outcome: String, Sendable, Encodable {
        case ok, warn, fail, skip
    }

    /// Stable identifier (`apiKey`, `configFile`, `api`, `keyAccepted`, `rateLimit`, `networkVolume`, `gpus`).
    var id: String
    /// Words for the text output.
    var title: String
    var outcome: Outcome
    /// What was found.
    var detail: String
    /// How to fix it (fail and warn only).
    var fix: String?
    /// The exit status a failure of this check gives; nil for checks that cannot fail the run.
    var failStatus: ExitStatus?

    enum CodingKeys: String, CodingKey { case id, outcome, detail, fix }
}

/// The checks of `doctor`, in order; each later one uses what the earlier ones found.
struct DoctorChecks {
    let settings: Settings
    let environment: [String: String]
    let networkVolumeID: String?
    /// Where `networkVolumeID` came from (`--network-volume`, `$RUNPOD_NETWORK_VOLUME_ID`, the built-in default).
    let networkVolumeOrigin: String
    let gpuTypeIDs: [String]
    let gpuCount: Int
    let session: Session
    let logger: Logger

    /// Runs every check that can run (a missing key skips those that need the API).
    func run() async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let credential = keyCheck(&checks)
        checks.append(configFileCheck(keyFound: credential != nil))
        guard let credential else {
            for (id, title) in [("api", "api"), ("keyAccepted", "key accepted"), ("networkVolume", "network volume"), ("gpus", "gpus")] {
                checks.append(DoctorCheck(id: id, title: title, outcome: .skip, detail: "needs an API key"))
            }
            return checks
        }
        let client = RunPodClient(
            baseURL: settings.apiBaseURL, apiKey: credential.key, logger: logger,
            retryPolicy: .exponential(maxAttempts: 2, base: .milliseconds(300), cap: .seconds(2), maxTotal: .seconds(10)))

        // The API: one timed read, which also tells whether the key is accepted.
        let started = ContinuousClock.now
        let volumes: [RunPod.NetworkVolume]
        do {
            volumes = try await client.listNetworkVolumes()
            checks.append(apiAnswered(after: ContinuousClock.now - started, status: 200))
            checks.append(DoctorCheck(id: "keyAccepted", title: "key accepted", outcome: .ok, detail: "RunPod accepted the key"))
        } catch let error as RunPodAPIError {
            if let status = error.status, status == 401 || status == 403 {
                checks.append(apiAnswered(after: ContinuousClock.now - started, status: status))
                checks.append(
                    DoctorCheck(
                        id: "keyAccepted", title: "key accepted", outcome: .fail,
                        detail: "RunPod rejected the key from \(credential.source) (HTTP \(status): \(error.problem?.detail ?? error.message))",
                        fix: "Create a key at https://www.runpod.io/console/user/settings (read/write for pods) and set it with "
                            + "`export RUNPOD_API_KEY=…` (or `api_key` in ~/.runpod/config.toml); check that \(credential.source) holds "
                            + "that key, not an old or revoked one.",
                        failStatus: .authentication))
            } else {
                checks.append(
                    DoctorCheck(
                        id: "api", title: "api", outcome: .fail, detail: "\(settings.apiBaseURL.absoluteString) failed: \(error.description)",
                        fix: "Check your network and RUNPOD_API_BASE_URL / --api-url (default https://api.runpod.io); "
                            + "RunPod's status page is https://uptime.runpod.io.",
                        failStatus: .unavailable))
                checks.append(DoctorCheck(id: "keyAccepted", title: "key accepted", outcome: .skip, detail: "the API did not answer"))
            }
            for (id, title) in [("rateLimit", "rate limit"), ("networkVolume", "network volume"), ("gpus", "gpus")] {
                checks.append(DoctorCheck(id: id, title: title, outcome: .skip, detail: "needs a working API and key"))
            }
            return checks
        } catch {
            checks.append(DoctorCheck(id: "api", title: "api", outcome: .fail, detail: "\(error)", failStatus: .unavailable))
            return checks
        }
        checks.append(rateLimitCheck(client.rateLimit))
        let volumeCheck = networkVolumeCheck(volumes)
        checks.append(volumeCheck.check)
        checks.append(await gpuCheck(client, volumeMissing: volumeCheck.check.outcome == .fail))
        return checks
    }

    /// Where the key comes from (flag, environment, config file), masked; nil when there is none.
    private func keyCheck(_ checks: inout [DoctorCheck]) -> ResolvedCredential? {
        do {
            let credential = try settings.credential()
            session.credentialSource = credential.source
            let masked = Self.mask(credential.key)
            if credential.source == .flag {
                checks.append(
                    DoctorCheck(
                        id: "apiKey", title: "api key", outcome: .warn, detail: "found in --api-key (\(masked))",
                        fix: "A flag is visible to other users in the process list (ps): prefer `export RUNPOD_API_KEY=…`."))
            } else {
                checks.append(DoctorCheck(id: "apiKey", title: "api key", outcome: .ok, detail: "found in \(credential.source) (\(masked))"))
            }
            return credential
        } catch let error as ConfigurationError {
            // Like every command: no key is an authentication failure (77), an unusable config file a usage one (64).
            let status: ExitStatus = if case .noAPIKey = error.kind { .authentication } else { .usage }
            checks.append(
                DoctorCheck(
                    id: "apiKey", title: "api key", outcome: .fail, detail: error.message,
                    fix: "export RUNPOD_API_KEY=… (a key from https://www.runpod.io/console/user/settings), or run `runpod config`, "
                        + "which writes api_key under [default] in ~/.runpod/config.toml.",
                    failStatus: status))
            return nil
        } catch {
            checks.append(DoctorCheck(id: "apiKey", title: "api key", outcome: .fail, detail: "\(error)", failStatus: .authentication))
            return nil
        }
    }

    /// Whether `~/.runpod/config.toml` parses, and which of the two shapes holds the key: runpod-python's
    /// `[profile] api_key` or runpodctl's top-level `apikey`.
    func configFileCheck(keyFound: Bool) -> DoctorCheck {
        let resolver = CredentialResolver(environment: ["HOME": environment["HOME"] ?? NSHomeDirectory()])
        let path = resolver.configFilePath
        guard FileManager.default.fileExists(atPath: path) else {
            return DoctorCheck(id: "configFile", title: "config file", outcome: .ok, detail: "\(path) is not there (optional)")
        }
        do {
            let found = try resolver.resolve(profile: settings.profile)
            let shape: String =
                switch found.source {
                case .configFile(_, let profile?): "a key under [\(profile)] (runpod-python's shape)"
                default: "a top-level apikey (runpodctl's shape)"
                }
            return DoctorCheck(id: "configFile", title: "config file", outcome: .ok, detail: "\(path) parses: \(shape)")
        } catch let error as ConfigurationError {
            switch error.kind {
            case .noAPIKey:
                return DoctorCheck(
                    id: "configFile", title: "config file", outcome: .warn, detail: "\(path) parses but holds no API key",
                    fix: "Add `api_key = \"…\"` under [default] (runpod-python) or a top-level `apikey = \"…\"` (runpodctl), "
                        + "or keep using RUNPOD_API_KEY.")
            case .unknownProfile:
                return DoctorCheck(
                    id: "configFile", title: "config file", outcome: keyFound ? .warn : .fail, detail: error.message,
                    fix: "Use --profile with one of the profiles present, or add the table with an api_key.",
                    failStatus: keyFound ? nil : .usage)
            case .unreadableConfigFile, .invalidBaseURL:
                return DoctorCheck(
                    id: "configFile", title: "config file", outcome: .fail, detail: error.message,
                    fix: "Fix the TOML (runpod-python writes `[default]` then `api_key = \"…\"`; runpodctl a top-level `apikey = \"…\"`) "
                        + "or move the file away.",
                    failStatus: .usage)
            }
        } catch {
            return DoctorCheck(id: "configFile", title: "config file", outcome: .fail, detail: "\(error)", failStatus: .usage)
        }
    }

    private func apiAnswered(after latency: Duration, status: Int) -> DoctorCheck {
        let milliseconds = Int((ProgressDrawing.seconds(latency) * 1000).rounded())
        let slow = milliseconds > 3000
        return DoctorCheck(
            id: "api", title: "api", outcome: slow ? .warn : .ok,
            detail: "\(settings.apiBaseURL.absoluteString) answered in \(milliseconds) ms (HTTP \(status))",
            fix: slow ? "RunPod answers slowly from here; launches will still work, waits take longer." : nil)
    }

    /// Requests left in the tightest `RateLimit` window; a warning under 10 % of its quota.
    func rateLimitCheck(_ status: RateLimitStatus?) -> DoctorCheck {
        guard let status, let window = status.tightest, let remaining = window.remaining else {
            return DoctorCheck(id: "rateLimit", title: "rate limit", outcome: .skip, detail: "RunPod sent no RateLimit header")
        }
        let quota = window.quota.map { " of \($0)" } ?? ""
        let resets = window.resetsIn.map { ", resets in \(Int(ProgressDrawing.seconds($0)))s" } ?? ""
        let detail = "\(window.name) window: \(remaining)\(quota) requests left\(resets)"
        let low = window.quota.map { remaining * 10 < $0 } ?? (remaining < 5)
        return DoctorCheck(
            id: "rateLimit", title: "rate limit", outcome: low ? .warn : .ok, detail: detail,
            fix: low ? "Few requests left: another process is using this key heavily; launches will back off until the window resets." : nil)
    }

    /// The network volume to use exists, and in which data center.
    private func networkVolumeCheck(_ volumes: [RunPod.NetworkVolume]) -> (check: DoctorCheck, dataCenter: String?) {
        guard let networkVolumeID else {
            return (DoctorCheck(id: "networkVolume", title: "network volume", outcome: .skip, detail: "none asked for (--no-network-volume)"), nil)
        }
        if let volume = volumes.first(where: { $0.id == networkVolumeID }) {
            return (
                DoctorCheck(
                    id: "networkVolume", title: "network volume", outcome: .ok,
                    detail: "\(volume.id) (\(volume.name), \(volume.size) GB) is in \(volume.dataCenter): pods using it run there"),
                volume.dataCenter
            )
        }
        let yours = volumes.isEmpty ? "this account has none" : "yours: " + volumes.map { "\($0.id) (\($0.dataCenter))" }.joined(separator: ", ")
        return (
            DoctorCheck(
                id: "networkVolume", title: "network volume", outcome: .fail,
                detail: "no network volume \(networkVolumeID) in this account (\(yours))",
                fix: "Set RUNPOD_NETWORK_VOLUME_ID (or --network-volume) to one of yours (`runpod-launcher volumes`), create one in the "
                    + "RunPod console → Storage, or launch with --no-network-volume. (\(networkVolumeID) came from \(networkVolumeOrigin).)",
                failStatus: .unavailable),
            nil
        )
    }

    /// Which configured GPU types a launch would try now, from the library's preflight (the same placement reads a
    /// launch makes: volume → data center → catalog), and what is in stock instead.
    private func gpuCheck(_ client: RunPodClient, volumeMissing: Bool) async -> DoctorCheck {
        if volumeMissing {
            return DoctorCheck(id: "gpus", title: "gpus", outcome: .skip, detail: "no data center to check (the network volume is missing)")
        }
        let launcher = RunPodLauncher(client: client, ledger: nil, logger: logger)
        let preflight: Preflight
        do {
            preflight = try await launcher.preflight(LaunchSpec(gpuTypeIDs: gpuTypeIDs, gpuCount: gpuCount, networkVolumeID: networkVolumeID))
        } catch {
            return DoctorCheck(
                id: "gpus", title: "gpus", outcome: .fail, detail: "could not read the GPU catalog: \(error)", failStatus: .unavailable)
        }
        let place = preflight.plan.dataCenterID.map { "in \($0)" } ?? "anywhere"
        let available = preflight.gpuTypeIDsInStock
        let unknown = preflight.unknownGPUTypeIDs
        let unavailable = gpuTypeIDs.filter { !available.contains($0) && !unknown.contains($0) }
        var detail =
            available.isEmpty
            ? "none of the \(gpuTypeIDs.count) configured GPU type(s) is available \(place) now"
            : "available \(place) now: " + available.joined(separator: ", ")
        if !unavailable.isEmpty, !available.isEmpty { detail += "; not now: " + unavailable.joined(separator: ", ") }
        if !unknown.isEmpty { detail += "; not in RunPod's catalog: " + unknown.joined(separator: ", ") }
        if available.isEmpty {
            let others = preflight.alternatives
            let hint =
                others.isEmpty
                ? "nothing else is available \(place) either; wait and retry"
                : "available \(place) instead: \(others.prefix(5).joined(separator: ", ")) (use --gpu)"
            return DoctorCheck(
                id: "gpus", title: "gpus", outcome: .fail, detail: detail,
                fix:
                    "A launch now would fail with no capacity: \(hint). `runpod-launcher gpus\(networkVolumeID.map { " --network-volume \($0)" } ?? "")` shows the stock.",
                failStatus: .noCapacity)
        }
        return DoctorCheck(
            id: "gpus", title: "gpus", outcome: unknown.isEmpty ? .ok : .warn, detail: detail,
            fix: unknown.isEmpty ? nil : "Check the spelling of the GPU type IDs (`runpod-launcher gpus` lists RunPod's).")
    }

    static func mask(_ key: APIKey) -> String {
        let secret = key.secret
        guard secret.count >= 16 else { return "…" }
        let prefix = secret.hasPrefix("rpa_") ? "rpa_" : ""
        return prefix + "…" + String(secret.suffix(4))
    }
}
