import Foundation

/// An opt-in deadline enforced inside the pod, so a pod stops billing even when the machine running the launcher dies.
///
/// The launcher replaces the container start command (RunPod's `args`) with a small `sh` wrapper that starts a
/// background timer and then `exec`s the real start command, which the user must name (`startCommand`): the
/// launcher cannot read an image's own CMD. At the deadline the timer terminates the pod with `runpodctl remove pod
/// $RUNPOD_POD_ID` (RunPod puts `runpodctl`, the pod's ID and a pod-scoped API key in its images), falls back to
/// `runpodctl stop pod` (a stopped pod stops GPU billing but still bills for its disk), and last to SIGTERM to PID 1
/// (ends the container only if the app handles SIGTERM; RunPod may restart it, and then the wrapper, finding the
/// deadline passed, fires again at once).
///
/// The deadline is absolute (Unix time in `RUNPOD_LAUNCHER_DEADLINE`), so a container restart does not reset it.
/// Limits: only images whose entrypoint runs its arguments as a command (no ENTRYPOINT, or one that ends in
/// `exec "$@"`) can be wrapped; an image without `sh`, `sleep` and `date` cannot; without `runpodctl` (non-RunPod
/// images) only the SIGTERM fallback remains. The network volume always bills. The client-side guard still runs.
public struct PodSideDeadline: Sendable, Hashable {
    /// The environment variable holding the deadline, Unix seconds.
    public static let deadlineKey = "RUNPOD_LAUNCHER_DEADLINE"
    /// The environment variable holding the real start command the wrapper execs.
    public static let startCommandKey = "RUNPOD_LAUNCHER_START_COMMAND"

    /// The image's real start command (what its CMD runs), executed by `sh -c` after the timer starts.
    public var startCommand: String

    /// Creates a pod-side deadline around `startCommand`.
    public init(startCommand: String) {
        self.startCommand = startCommand
    }

    /// The wrapper, as RunPod's `args`. Constant: the variable parts travel in the environment, so no quoting of the
    /// user's command can break it.
    public static let wrapper =
        "sh -c '"
        + "( left=$((${\(deadlineKey)} - $(date +%s))); if [ \"$left\" -gt 0 ]; then sleep \"$left\"; fi; "
        + "echo \"runpod-launcher: pod-side deadline reached; terminating pod $RUNPOD_POD_ID\" >&2; "
        + "runpodctl remove pod \"$RUNPOD_POD_ID\" || runpodctl stop pod \"$RUNPOD_POD_ID\" || kill -TERM 1 ) & "
        + "exec sh -c \"$\(startCommandKey)\"'"

    /// `spec` changed to run the wrapper with a deadline `lifetime` after `now`.
    public func apply(to spec: LaunchSpec, lifetime: Duration, now: Date) -> LaunchSpec {
        var wrapped = spec
        // Rounded down: the pod stops a fraction of a second early rather than late.
        let deadline = Int64(now.addingTimeInterval(lifetime.seconds).timeIntervalSince1970.rounded(.down))
        wrapped.args = Self.wrapper
        wrapped.env[Self.deadlineKey] = String(deadline)
        wrapped.env[Self.startCommandKey] = startCommand
        return wrapped
    }
}
