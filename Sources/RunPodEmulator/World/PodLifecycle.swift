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
}

/// The start-up script of a pod, as RunPod and a ComfyUI image produce it. A pure function of the pod and the timings.
func bootSchedule(for pod: PodSimulation, timings: PodTimings, timeScale: Double) -> [BootEvent] {
    let image = pod.record.creation.image
    let repository = image.split(separator: ":").first.map(String.init) ?? image
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
        if pod.failure == .stuckProvisioning { return events }
        events.append(
            BootEvent(
                offset: 0,
                logs: [
                    ("system", "create pod network"),
                    ("system", "create container \(image)"),
                    (
                        "system",
                        "\(image.contains(":") ? String(image.split(separator: ":").last ?? "latest") : "latest"): Pulling from \(repository)"
                    ),
                ]))
        events.append(
            BootEvent(
                offset: pull * 0.5,
                logs: [
                    ("system", "Pulling fs layer"),
                    ("system", "Downloading layers (3.2 GB)"),
                ]))
        if pod.failure == .imagePullFails {
            let message =
                "failed to pull image \(image): Error response from daemon: pull access denied for \(repository), "
                + "repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
            events.append(BootEvent(offset: pull, status: .error, error: message, logs: [("system", message)]))
            return events
        }
        events.append(
            BootEvent(
                offset: pull, status: .starting,
                logs: [
                    ("system", "Status: Downloaded newer image for \(image)"),
                    ("system", "start container for \(image): begin"),
                ]))
    case .restart:
        events.append(BootEvent(offset: 0, status: .starting, logs: [("system", "restart container for \(image): begin")]))
    }

    let gpuName = pod.record.creation.gpuTypeID
    let mount = pod.record.creation.mountPath ?? "/workspace"
    events.append(
        BootEvent(
            offset: pull + start, status: .running,
            logs: [
                ("system", "start container for \(image): done"),
                ("container", "Checkpoint files will always be loaded safely."),
                ("container", "Total VRAM \(pod.record.creation.gpuTypeID.contains("80GB") ? 81_559 : 24_564) MB, total RAM 257588 MB"),
                ("container", "Set vram state to: NORMAL_VRAM"),
                ("container", "Device: cuda:0 \(gpuName) : cudaMallocAsync"),
            ]))
    events.append(
        BootEvent(
            offset: pull + start + app * 0.5,
            logs: [
                ("container", "Using pytorch attention"),
                ("container", "Adding extra search path checkpoints \(mount)/models/checkpoints"),
                ("container", "Import times for custom nodes:"),
            ]))
    if pod.failure == .appNeverAnswers {
        events.append(BootEvent(offset: pull + start + app * 0.75, logs: [("container", "Loading custom nodes...")]))
        return events
    }
    events.append(
        BootEvent(
            offset: pull + start + app, appReady: true,
            logs: [
                ("container", "Starting server"),
                ("container", ""),
                ("container", "To see the GUI go to: http://0.0.0.0:8188"),
            ]))
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
