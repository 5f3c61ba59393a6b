import Foundation
import PodLauncher
import RunPodAPI

/// What the live progress line knows. Drawing is a pure function of this value and the elapsed time.
struct ProgressState: Sendable, Equatable {
    var podID: String?
    var status: RunPod.PodStatus?
    /// What is happening now, in a few words ("placing", "waiting for the app on 8188", …).
    var activity = "starting"
    /// The pod's latest log line (image pull progress, the app's start-up), while it is starting.
    var logLine: String?
    var finished = false

    /// The state after `event`.
    mutating func apply(_ event: LaunchEvent) {
        switch event {
        case .volumeResolved(_, let dataCenter): activity = "placing in \(dataCenter)"
        case .candidatesChosen: activity = "placing"
        case .creating(let candidate): activity = "creating on \(candidate.gpuTypeID)"
        case .candidateRejected: activity = "trying the next GPU type"
        case .retrying(let operation, let attempt, _, _): activity = "retrying \(operation) (attempt \(attempt))"
        case .created(let pod, _):
            podID = pod.id
            status = pod.status
            activity = "waiting for the container"
        case .statusChanged(let id, _, let to, _):
            podID = id
            status = to
            activity = to == .running ? "waiting for ports" : "waiting for the container"
        case .probing(let id, let url, _):
            podID = id
            activity = "waiting for the app at \(url.absoluteString)"
        case .appAnswered(_, let port, let httpStatus, _): activity = "app answered on \(port) (HTTP \(httpStatus))"
        case .ready(let ready):
            podID = ready.pod.id
            status = ready.pod.status
            activity = "ready"
            logLine = nil
        case .terminating(let id, _):
            podID = id
            activity = "terminating"
        case .terminated(let id):
            podID = id
            status = .terminated
            activity = "terminated"
        }
    }
}

/// The pure drawing functions of progress output.
enum ProgressDrawing {
    static let spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    /// `[  12.3s]`: the elapsed-time prefix of every progress line.
    static func stamp(_ elapsed: Duration) -> String {
        "[" + String(format: "%6.1f", seconds(elapsed)) + "s]"
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The live line on a terminal: spinner, elapsed time, pod, status, activity and the pod's latest log line, cut
    /// to `width` columns so it never wraps (a wrapped line cannot be redrawn in place).
    static func liveLine(_ state: ProgressState, elapsed: Duration, frame: Int, width: Int = .max) -> String {
        var parts = [spinner[frame % spinner.count], stamp(elapsed)]
        if let podID = state.podID { parts.append("pod \(podID)") }
        if let status = state.status { parts.append(status.rawValue) }
        parts.append(state.activity)
        if let log = state.logLine, !log.isEmpty { parts.append("· " + log) }
        let line = parts.joined(separator: " ")
        guard line.count > width, width > 1 else { return line }
        return String(line.prefix(width - 1)) + "…"
    }

    /// The plain line for `event`, or nil for events that only move the live line.
    static func line(for event: LaunchEvent, elapsed: Duration) -> String {
        stamp(elapsed) + " " + text(for: event)
    }

    /// The words for `event`, without the time stamp.
    static func text(for event: LaunchEvent) -> String {
        switch event {
        case .volumeResolved(let volume, let dataCenter):
            return "network volume \(volume) is in \(dataCenter): the pod must run there"
        case .candidatesChosen(let dataCenter, let candidates):
            let place = dataCenter.map { " in \($0)" } ?? ""
            let names = candidates.map(\.gpuTypeID).joined(separator: ", ")
            return candidates.isEmpty ? "no GPU type to try\(place)" : "will try \(candidates.count) GPU type(s)\(place): \(names)"
        case .creating(let candidate):
            return "creating a pod on \(candidate)"
        case .candidateRejected(let candidate, let status, let detail):
            return "\(candidate.gpuTypeID) turned down (HTTP \(status): \(detail)); trying the next one"
        case .retrying(let operation, let attempt, let delay, let reason):
            return "\(operation) failed (\(reason)); retry \(attempt) in \(String(format: "%.1f", seconds(delay)))s"
        case .created(let pod, _):
            let gpu = pod.gpuTypeID.map { " on \(pod.gpuCount)× \($0)" } ?? ""
            let place = pod.dataCenterID.map { " in \($0)" } ?? ""
            return "pod \(pod.id) (\(pod.name)) created\(gpu)\(place), \(price(pod.costPerHour)): it bills until terminated"
        case .statusChanged(let podID, let from, let to, _):
            return from.map { "pod \(podID): \($0.rawValue) → \(to.rawValue)" } ?? "pod \(podID): \(to.rawValue)"
        case .probing(let podID, let url, _):
            return "pod \(podID): container up; probing \(url.absoluteString)"
        case .appAnswered(_, let port, let httpStatus, _):
            return "app answering on \(port) (HTTP \(httpStatus))"
        case .ready(let ready):
            let urls = ready.urls.sorted { $0.key < $1.key }.map(\.value.absoluteString).joined(separator: " ")
            return "pod \(ready.pod.id) ready\(urls.isEmpty ? "" : ": \(urls)")"
        case .terminating(let podID, let reason):
            return "terminating pod \(podID) (\(reason))"
        case .terminated(let podID):
            return "pod \(podID) terminated (confirmed gone)"
        }
    }

    /// The block printed when a pod failed to start: its newest log lines, indented, under a heading.
    static func failureLog(podID: String, lines: [String]) -> String {
        guard !lines.isEmpty else { return "pod \(podID) wrote no log lines before it failed" }
        return "last \(lines.count) log line(s) of pod \(podID):\n" + lines.map { "  | " + $0 }.joined(separator: "\n")
    }

    /// `$0.69/h`.
    static func price(_ perHour: Double) -> String { String(format: "$%.2f/h", perHour) }
}
