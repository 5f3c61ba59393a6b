import Foundation
import Logging
import RunPodAPI

/// Launches RunPod pods with a network volume, waits until they are really ready, and terminates them.
///
/// A value: copies share the client (and its rate-limit view). Progress goes to `events`; logs to `logger`
/// (no-op by default) with `pod.id` and `operation` metadata, never the API key. Every pod it creates is recorded in
/// `ledger` (see `PodLedger`) until RunPod confirms it gone, so a pod outliving a killed process can be found.
public struct RunPodLauncher: Sendable {
    public typealias EventHandler = @Sendable (LaunchEvent) -> Void

    /// The RunPod client (retry notices from it are forwarded as `LaunchEvent.retrying`).
    public let client: RunPodClient
    /// Pacing, probing and cleanup settings.
    public let configuration: LauncherConfiguration
    /// Where created pods are recorded until confirmed gone; nil records nothing.
    public let ledger: PodLedger?
    let logger: Logger
    let events: EventHandler?

    /// Creates a launcher.
    /// - Parameter ledger: where pods are recorded while they may bill (`PodLedger(directory:)`; the CLI's is
    ///   `PodLedger.defaultDirectory(environment:)`), or nil to record nothing. The caller chooses: a library never
    ///   writes into the user's home unasked. A record that cannot be written logs a warning and never stops a launch.
    public init(
        client: RunPodClient, configuration: LauncherConfiguration = .init(), ledger: PodLedger?, logger: Logger? = nil,
        events: EventHandler? = nil
    ) {
        self.client =
            if let events {
                client.observingRetries { notice in
                    events(.retrying(operation: notice.operation, attempt: notice.attempt, delay: notice.delay, reason: notice.reason))
                }
            } else {
                client
            }
        self.configuration = configuration
        let logger = logger ?? Logger(label: "runpod.launcher", factory: { _ in SwiftLogNoOpLogHandler() })
        self.logger = logger
        self.ledger = ledger
        // The ledger hears about a pod before anyone else does, so it is recorded before the launcher waits on it.
        let recorder = ledger.map { PodLedgerRecorder(ledger: $0, apiHost: PodLedgerRecord.apiHost(of: client.baseURL), logger: logger) }
        self.events =
            if let recorder {
                { event in
                    recorder.handle(event)
                    events?(event)
                }
            } else {
                events
            }
    }

    func emit(_ event: LaunchEvent) { events?(event) }

    func logger(podID: String? = nil, operation: String) -> Logger {
        var logger = self.logger
        logger[metadataKey: "operation"] = "\(operation)"
        if let podID { logger[metadataKey: "pod.id"] = "\(podID)" }
        return logger
    }

    func map(_ error: RunPodAPIError, notFound: (kind: String, id: String)? = nil) -> LauncherError {
        LauncherError.from(error, credentialSource: configuration.credentialSource, notFound: notFound)
    }

    func sleep(_ duration: Duration) async throws {
        try await RunPodAPI.sleep(for: duration, on: configuration.clock)
    }

    /// The pods in the account, as launcher values; `mineOnly` keeps those this tool created (see `PodIdentity`).
    public func listPods(mineOnly: Bool = false) async throws -> [Pod] {
        do {
            let pods = try await client.listPods()
            return pods.filter { !mineOnly || PodIdentity.isLaunchedByThisTool($0) }.map(Pod.init)
        } catch let error as RunPodAPIError {
            throw map(error)
        }
    }

    /// One pod, as a launcher value; `notFound` when RunPod does not know the ID.
    public func getPod(podID: String) async throws -> Pod {
        do {
            return Pod(try await client.getPod(id: podID))
        } catch let error as RunPodAPIError {
            throw map(error, notFound: ("pod", podID))
        }
    }
}
