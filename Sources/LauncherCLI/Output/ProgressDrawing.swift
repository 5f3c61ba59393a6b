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
    /// How many pods the launch makes (several: the plain lines leave out each pod's status changes).
    var count = 1
    var created = 0
    var ready = 0

    /// The state after `event`.
    mutating func apply(_ event: LaunchEvent) {
        switch event {
        case .volumeResolved(_, let dataCenter): activity = "placing in \(dataCenter)"
        case .candidatesChosen: activity = "placing"
        case .creating(let candidate, _): activity = "creating on \(candidate.gpuTypeID)"
        case .candidateRejected: activity = "trying the next GPU type"
        case .retrying(let operation, let attempt, _, _): activity = "retrying \(operation) (attempt \(attempt))"
        case .created(let pod, _, _, let count):
            self.count = count
            created += 1
            podID = pod.id
            status = pod.status
            activity = count > 1 ? "\(created)/\(count) created" : "waiting for the container"
        case .statusChanged(let id, _, let to, _):
            podID = id
            status = to
            activity = to == .running ? "waiting for ports" : "waiting for the container"
        case .probing(let id, let url, _):
            podID = id
            activity = "waiting for the app at \(url.absoluteString)"
        case .appAnswered(_, let port, let httpStatus, _): activity = "app answered on \(port) (HTTP \(httpStatus))"
        case .ready(let pod, _, let count):
            self.count = count
            ready += 1
            podID = pod.pod.id
            status = pod.pod.status
            activity = count > 1 ? "\(ready)/\(count) ready" : "ready"
            logLine = nil
        case .pacing(let wait, _): activity = "holding requests \(String(format: "%.1f", ProgressDrawing.seconds(wait)))s for the rate limit"
        case .podFailed(let index, _, _): activity = "pod #\(index + 1) failed"
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

    /// The plain line for `event`, or nil for events that only move the live line (for several pods, each pod's
    /// status changes and probes: one line per pod and step would bury the summary).
    static func line(for event: LaunchEvent, elapsed: Duration, state: ProgressState) -> String? {
        if state.count > 1 {
            switch event {
            case .statusChanged, .probing, .appAnswered, .creating: return nil
            default: break
            }
        } else if case .podFailed = event {
            return nil  // One pod: the command's error says it, once.
        }
        return stamp(elapsed) + " " + text(for: event, state: state)
    }

    /// The words for `event`, without the time stamp; `state` (after the event) gives the counts of several pods.
    static func text(for event: LaunchEvent, state: ProgressState = ProgressState()) -> String {
        switch event {
        case .volumeResolved(let volume, let dataCenter):
            return "network volume \(volume) is in \(dataCenter): the pod must run there"
        case .candidatesChosen(let dataCenter, let candidates):
            let place = dataCenter.map { " in \($0)" } ?? ""
            let names = candidates.map(\.gpuTypeID).joined(separator: ", ")
            return candidates.isEmpty ? "no GPU type to try\(place)" : "will try \(candidates.count) GPU type(s)\(place): \(names)"
        case .creating(let candidate, _):
            return "creating a pod on \(candidate)"
        case .candidateRejected(let candidate, let status, let detail):
            return "\(candidate.gpuTypeID) turned down (HTTP \(status): \(detail)); trying the next one"
        case .retrying(let operation, let attempt, let delay, let reason):
            return "\(operation) failed (\(reason)); retry \(attempt) in \(String(format: "%.1f", seconds(delay)))s"
        case .created(let pod, _, let index, let count):
            let gpu = pod.gpuTypeID.map { " on \(pod.gpuCount)× \($0)" } ?? ""
            let place = pod.dataCenterID.map { " in \($0)" } ?? ""
            let name = count > 1 ? "\(pod.name), #\(index + 1)" : pod.name
            let tally = count > 1 ? "; \(state.created)/\(count) created" : ": it bills until terminated"
            return "pod \(pod.id) (\(name)) created\(gpu)\(place), \(price(pod.costPerHour))\(tally)"
        case .statusChanged(let podID, let from, let to, _):
            return from.map { "pod \(podID): \($0.rawValue) → \(to.rawValue)" } ?? "pod \(podID): \(to.rawValue)"
        case .probing(let podID, let url, _):
            return "pod \(podID): container up; probing \(url.absoluteString)"
        case .appAnswered(_, let port, let httpStatus, _):
            return "app answering on \(port) (HTTP \(httpStatus))"
        case .ready(let ready, _, let count):
            let urls = ready.urls.sorted { $0.key < $1.key }.map(\.value.absoluteString).joined(separator: " ")
            let tally = count > 1 ? " after \(String(format: "%.1f", seconds(ready.readyAfter)))s; \(state.ready)/\(count) ready" : ""
            return "pod \(ready.pod.id) ready\(urls.isEmpty ? "" : ": \(urls)")\(tally)"
        case .pacing(let wait, let reason):
            return "rate limit: holding requests for \(String(format: "%.1f", seconds(wait)))s (\(reason))"
        case .podFailed(let index, let podID, let reason):
            return "pod #\(index + 1)\(podID.map { " (\($0))" } ?? "") failed: \(reason)"
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
