import Foundation
import Logging

/// Keeps the ledger in step with a launcher's own events: a record when a pod is created (before the launcher waits
/// on it), no record once RunPod confirms it gone.
///
/// Observing events keeps the lifecycle code unaware of the ledger. A ledger that cannot be written never stops a
/// launch (the pod would then be left without its owner watching): it logs a warning and the launch goes on; the
/// pod can still be found by its `RUNPOD_LAUNCHER` mark.
struct PodLedgerRecorder: Sendable {
    let ledger: PodLedger
    let apiHost: String
    let logger: Logger

    func handle(_ event: LaunchEvent) {
        switch event {
        case .created(let pod, let launchID, _, _):
            let record = PodLedgerRecord(podID: pod.id, name: pod.name, costPerHour: pod.costPerHour, launchID: launchID, apiHost: apiHost)
            do {
                try ledger.write(record)
            } catch {
                logger.warning(
                    """
                    could not record pod \(pod.id) in the local ledger (\(error)); the launch goes on. If this process dies, \
                    `runpod-launcher list --mine` still finds the pod by its \(PodIdentity.markerKey)=\(PodIdentity.markerValue) mark.
                    """,
                    metadata: ["pod.id": "\(pod.id)", "operation": "ledger"])
            }
        case .terminated(let podID):
            // Only this API's record: an emulator and RunPod could, in principle, reuse an ID.
            guard let record = ledger.record(podID: podID), record.apiHost == apiHost else { return }
            do {
                try ledger.remove(podID: podID)
            } catch {
                logger.warning(
                    "pod \(podID) is terminated but its ledger record could not be removed (\(error)); `list --mine` will prune it.",
                    metadata: ["pod.id": "\(podID)", "operation": "ledger"])
            }
        default:
            break
        }
    }
}

extension RunPodLauncher {
    /// Removes the ledger record of a pod RunPod does not know (a record made through this API host only): a local
    /// record of a pod RunPod has never heard of can only be stale.
    func forgetInLedger(podID: String) {
        guard let ledger, let record = ledger.record(podID: podID), record.apiHost == PodLedgerRecord.apiHost(of: client.baseURL) else { return }
        try? ledger.remove(podID: podID)
    }
}
