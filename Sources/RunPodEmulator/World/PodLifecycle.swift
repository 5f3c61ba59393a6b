import Foundation

/// One step of a pod's start-up, at an offset (in scaled seconds) from the moment it began booting.
struct BootEvent: Sendable {
    var offset: Double
    var status: PodStatus?
    var appReady: Bool?
    var error: String?
    var logs: [(source: String, line: String)]
}

/// How a boot begins: a fresh pod pulls its image; a restart reuses it.
enum BootKind: Sendable {
    case fresh
    case restart
}

/// The world's private view of a pod: the public record plus what drives its lifecycle.
struct PodSimulation: Sendable {
    var record: PodRecord
    var failure: PodFailureMode?
    var bootAt: Date
    var bootKind: BootKind
    /// Events of the current boot already applied; `nil` when the pod is not booting (stopped, terminated).
    var applied: Int?
    var holdsStock: Bool
    var gpuCount: Int
    /// Length of the current boot's schedule once known, so a settled pod's reads skip rebuilding it.
    var scheduleLength: Int? = nil
    /// What the pod has been billed, stretch by stretch (the last is open while it bills).
    var spans: [CostSpan] = []
    /// The ComfyUI inside the container: its queue and history, and the pod's job counts.
    var comfy = ComfyQueue()
}

/// The start-up script of a pod, as RunPod and a ComfyUI image produce it. A pure function of the pod and the timings.
///
/// The log lines (`BootLogs`) follow what a user sees in RunPod's console: the docker pull with per-layer progress,
/// the container start, ComfyUI's start-up; and for a failing pod the lines that say why (pull denied, a traceback
/// and the container's exit, a server bound to 127.0.0.1 that the proxy cannot reach, a lost machine).
func bootSchedule(for pod: PodSimulation, timings: PodTimings, timeScale: Double) -> [BootEvent] {
    let image = pod.record.creation.image
    let pull = pod.bootKind == .fresh ? timings.imagePullSeconds * timeScale : 0
    let start = timings.containerStartSeconds * timeScale
    let app = timings.appStartSeconds * timeScale
    var events: [BootEvent] = []

    switch pod.bootKind {
    case .fresh:
        events.append(
            BootEvent(
                offset: 0, status: .provisioning,
                logs: [
                    ("system", "Pod \(pod.record.id) scheduled on machine \(pod.record.machineID) in \(pod.record.dataCenterID)")
                ]))
        if pod.failure == .stuckProvisioning {
            events.append(BootEvent(offset: 0, logs: [("system", "waiting for a machine with free GPUs to accept the pod")]))
            return events
        }
        events.append(
            BootEvent(
                offset: 0, logs: [("system", "create pod network"), ("system", "create container \(image)")] + BootLogs.pullStart(image: image)))
        if pod.failure == .imagePullFails {
            let repository = BootLogs.repositoryAndTag(image).repository
            for (attempt, fraction) in [(1, 0.3), (2, 0.6)] {
                events.append(
                    BootEvent(
                        offset: pull * fraction,
                        logs: [("system", "image pull attempt \(attempt)/3 failed: pull access denied for \(repository); retrying")]))
            }
            let message = BootLogs.pullDenied(image: image)
            events.append(BootEvent(offset: pull, status: .error, error: message, logs: [("system", message)]))
            return events
        }
        for fraction in [0.25, 0.5, 0.75] {
            events.append(BootEvent(offset: pull * fraction, logs: BootLogs.pullProgress(image: image, fraction: fraction)))
        }
        events.append(
            BootEvent(offset: pull, status: .starting, logs: BootLogs.pullDone(image: image) + [("system", "start container for \(image): begin")]))
    case .restart:
        events.append(BootEvent(offset: 0, status: .starting, logs: [("system", "restart container for \(image): begin")]))
    }

    let gpuName = pod.record.creation.gpuTypeID
    let mount = pod.record.creation.mountPath ?? "/workspace"
    let startedAt = pod.bootAt.addingTimeInterval(pull + start)
    events.append(
        BootEvent(
            offset: pull + start, status: .running,
            logs: [("system", "start container for \(image): done")] + BootLogs.comfyBanner(gpuName: gpuName, startedAt: startedAt)))
    events.append(BootEvent(offset: pull + start + app * 0.5, logs: BootLogs.comfyLoading(mount: mount)))
    if pod.failure == .containerExits {
        let message = BootLogs.containerExited(code: 1)
        events.append(
            BootEvent(
                offset: pull + start + app * 0.75, status: .exited, appReady: false, error: message,
                logs: BootLogs.comfyCrash() + [("system", message)]))
        return events
    }
    if pod.failure == .appNeverAnswers {
        // The server comes up, but on the loopback address only: RunPod's proxy never reaches it (502 forever).
        events.append(BootEvent(offset: pull + start + app, logs: BootLogs.comfyServing(host: "127.0.0.1")))
        return events
    }
    events.append(BootEvent(offset: pull + start + app, appReady: true, logs: BootLogs.comfyServing(host: "0.0.0.0")))
    if pod.failure == .machineLost {
        let message = "machine \(pod.record.machineID) is no longer reachable; the pod was stopped"
        events.append(
            BootEvent(
                offset: pull + start + app + timings.machineLostAfterSeconds * timeScale, status: .exited, appReady: false,
                error: message, logs: [("system", message)]))
    }
    return events
}

/// Runtime ports for a running pod: HTTP ports are served by RunPod's proxy on an internal address; TCP ports get a
/// public address and a mapped port.
func runtimePorts(for ports: [String], using random: inout SeededRandom) -> [RuntimePort] {
    ports.compactMap { spec in
        let parts = spec.split(separator: "/")
        guard let port = parts.first.flatMap({ Int($0) }) else { return nil }
        let type = parts.count > 1 ? String(parts[1]) : "http"
        if type == "http" {
            return RuntimePort(privatePort: port, publicPort: port, type: "http", ip: "100.65.13.7", isIpPublic: false)
        }
        let publicPort = Int.random(in: 10_000..<60_000, using: &random)
        return RuntimePort(privatePort: port, publicPort: publicPort, type: "tcp", ip: "213.173.108.12", isIpPublic: true)
    }
}
