import Foundation

/// runpod-launcher's opt-in pod-side deadline, as a real pod would run it.
///
/// The launcher replaces the container start command (`args`) with an `sh` wrapper that, at the Unix time in the
/// pod's `RUNPOD_LAUNCHER_DEADLINE` variable, terminates the pod from inside (`runpodctl remove pod $RUNPOD_POD_ID`).
/// The emulator recognises that wrapper (its `args` name the variable) and terminates the pod at that time, once its
/// container has run: the timer lives in the container, so a pod still provisioning at the deadline goes when it starts.
/// The deadline is absolute wall time on the emulator's clock and is not scaled by `timeScale`.
extension WorldState {
    /// The environment variable holding the deadline.
    static let podSideDeadlineKey = "RUNPOD_LAUNCHER_DEADLINE"

    /// Terminates the pod if its pod-side deadline has passed and its container has started.
    mutating func enforcePodSideDeadline(id: String, now: Date) {
        guard let pod = pods[id], pod.record.alive, let deadline = Self.podSideDeadline(of: pod.record.creation), now >= deadline,
            let started = pod.record.startedAt
        else { return }
        let at = max(deadline, started)
        var record = pod.record
        let line = "runpod-launcher: pod-side deadline reached; terminating pod \(id)"
        record.logs.append(LogLine(ts: at, source: "container", line: line, sequence: record.logs.count + 1))
        pods[id]?.record = record
        try? terminate(id: id, now: at)
    }

    /// The deadline of a pod created with the launcher's wrapper; nil for any other pod.
    static func podSideDeadline(of creation: PodCreation) -> Date? {
        guard creation.args?.contains(podSideDeadlineKey) == true,
            let value = creation.env.first(where: { $0.key == podSideDeadlineKey })?.value, let seconds = Double(value)
        else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }
}
