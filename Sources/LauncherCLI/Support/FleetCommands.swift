import ArgumentParser
import Foundation
import PodLauncher

/// `launch --count N` and `run --count N`: the fleet versions of the two commands.
enum FleetCommands {
    /// `launch --count N`: launches the fleet, prints every pod (IDs one per line, or `--json`), leaves them running.
    static func launch(
        global: Flags.Global, pod: Flags.Pod, readiness: Flags.Readiness, fleet: Flags.Fleet, json: Bool, noWait: Bool, keepOnFailure: Bool
    ) async throws {
        if noWait { throw ValidationError("--no-wait launches one pod; it cannot be combined with --count.") }
        if keepOnFailure { throw ValidationError("--keep-on-failure keeps one pod; a fleet always terminates every pod when it fails.") }
        let runtime = try Runtime.prepare(global)
        let spec = try pod.spec(environment: runtime.context.environment)
        let reporter = runtime.reporter()
        defer { reporter.finish() }
        let launcher = try runtime.launcher(readiness: readiness, reporter: reporter)
        let progress = FleetProgress(reporter: reporter, session: runtime.session)
        let launched: Fleet
        do {
            launched = try await launcher.launchFleet(spec, options: fleet.options(timeout: readiness.timeoutDuration), events: progress.handle)
        } catch let failure as FleetFailure {
            throw progress.reported(failure)
        }
        reporter.finish()
        runtime.console.err(
            FleetProgress.summary(launched) + "\nTerminate them with: runpod-launcher terminate \(launched.podIDs.joined(separator: " "))")
        runtime.console.out(json ? JSONOutput.encode(FleetJSON(launched)) : launched.podIDs.joined(separator: "\n"))
    }

    /// `run --count N -- COMMAND`: launches the fleet, runs COMMAND once with every pod in its environment, and
    /// always terminates every pod; exits with COMMAND's status.
    static func run(global: Flags.Global, pod: Flags.Pod, readiness: Flags.Readiness, fleet: Flags.Fleet, command: [String]) async throws {
        let runtime = try Runtime.prepare(global)
        let spec = try pod.spec(environment: runtime.context.environment)
        let reporter = runtime.reporter()
        defer { reporter.finish() }
        let launcher = try runtime.launcher(readiness: readiness, reporter: reporter)
        let progress = FleetProgress(reporter: reporter, session: runtime.session)
        let environment = runtime.context.environment
        let status: Int32
        do {
            status = try await launcher.withFleet(spec, options: fleet.options(timeout: readiness.timeoutDuration), events: progress.handle) {
                launched in
                reporter.finish()
                runtime.console.err(FleetProgress.summary(launched) + "\nrunning: \(command.joined(separator: " "))")
                let status = try await ChildProcess.run(command, environment: Self.environment(for: launched, ports: spec.ports, base: environment))
                runtime.console.err("\(command[0]) exited with \(status); terminating \(launched.pods.count) pods…")
                return status
            }
        } catch let failure as FleetFailure {
            throw progress.reported(failure)
        }
        runtime.console.err("done: every pod terminated; exit status \(status).")
        if status != 0 { throw ExitCode(status) }
    }

    /// COMMAND's environment: `RUNPOD_POD_IDS` and `RUNPOD_POD_URLS` (comma-separated, in fleet order; the URL is each
    /// pod's first HTTP port), `RUNPOD_POD_COUNT`, and the single-pod variables (`RUNPOD_POD_ID`, `RUNPOD_POD_URL`,
    /// `RUNPOD_POD_URL_<PORT>`) of the first pod.
    static func environment(for fleet: Fleet, ports: [PortSpec], base: [String: String]) -> [String: String] {
        var environment = base
        if let first = fleet.pods.first { environment = RunCommand.environment(for: first, ports: ports, base: base) }
        environment["RUNPOD_POD_IDS"] = fleet.podIDs.joined(separator: ",")
        environment["RUNPOD_POD_COUNT"] = String(fleet.pods.count)
        environment["RUNPOD_POD_URLS"] = fleet.pods.map { ready in
            RunCommand.environment(for: ready, ports: ports, base: [:])["RUNPOD_POD_URL"] ?? ""
        }.joined(separator: ",")
        return environment
    }
}

/// `launch --count N --json`: `{"pods": [PodJSON…], "requested": N, "failed": [{index, podId, kind, message}]}`.
/// `pods` lists every ready pod in fleet order (the shape `list --json` uses); `failed` is empty unless --min-ready
/// let the fleet succeed without some. A fleet that fails prints `ErrorJSON` instead, whose `podIds` names every pod
/// it could not confirm terminated.
struct FleetJSON: Codable, Sendable, Equatable {
    struct Failed: Codable, Sendable, Equatable {
        var index: Int
        var podId: String?
        var kind: String
        var message: String
    }

    var pods: [PodJSON]
    var requested: Int
    var failed: [Failed]

    init(_ fleet: Fleet) {
        pods = fleet.pods.map(PodJSON.init)
        requested = fleet.pods.count + fleet.failures.count
        failed = fleet.failures.map { failure in
            let mapped = Failure.from(failure.error)
            return Failed(index: failure.index + 1, podId: failure.podID, kind: mapped.kind, message: mapped.message)
        }
    }
}

/// Renders fleet events as plain lines on stderr, and keeps the session's list of pods that may bill up to date.
final class FleetProgress: Sendable {
    private let reporter: ProgressReporter
    private let session: Session

    init(reporter: ProgressReporter, session: Session) {
        self.reporter = reporter
        self.session = session
    }

    var handle: @Sendable (FleetEvent) -> Void { { event in self.render(event) } }

    private func render(_ event: FleetEvent) {
        switch event {
        case .created(_, let pod, _, _): session.podExists(pod.id)
        case .terminated(let podID): session.podGone(podID)
        default: break
        }
        guard let text = Self.text(for: event) else { return }
        reporter.message("\(ProgressDrawing.stamp(reporter.elapsed)) \(text)")
    }

    static func text(for event: FleetEvent) -> String? {
        switch event {
        case .placed(let dataCenterID, let candidates):
            let place = dataCenterID.map { " in \($0)" } ?? ""
            return "placing the fleet\(place): \(candidates.map(\.gpuTypeID).joined(separator: ", then "))"
        case .created(let index, let pod, let created, let total):
            return "pod \(pod.id) (\(pod.name), #\(index + 1)) created: \(created)/\(total) created"
        case .statusChanged: return nil
        case .ready(_, let ready, let count, let total):
            return "pod \(ready.pod.id) ready after \(String(format: "%.1f", ProgressDrawing.seconds(ready.readyAfter)))s: \(count)/\(total) ready"
        case .podFailed(let failure): return "failed: \(failure.description)"
        case .pacing(let wait, let reason):
            return "rate limit: holding requests for \(String(format: "%.1f", ProgressDrawing.seconds(wait)))s (\(reason))"
        case .terminating(let count, let reason): return "terminating \(count) pod\(count == 1 ? "" : "s") (\(reason))…"
        case .terminated(let podID): return "pod \(podID) terminated (confirmed gone)"
        }
    }

    /// "3 pods ready (NVIDIA A40 in EU-RO-1): ID  NAME  URL" per line, plus any pods given up with --min-ready.
    static func summary(_ fleet: Fleet) -> String {
        var text = "\(fleet.pods.count) pod\(fleet.pods.count == 1 ? "" : "s") ready"
        if let first = fleet.pods.first?.pod {
            text += " (\(first.gpuCount)× \(first.gpuTypeID ?? "GPU")\(first.dataCenterID.map { " in \($0)" } ?? ""), "
            text += "\(ProgressDrawing.price(fleet.pods.map(\.pod.costPerHour).reduce(0, +))) in all)"
        }
        text += ":"
        for ready in fleet.pods {
            let url = ready.urls.sorted { $0.key < $1.key }.first.map { "  \($0.value.absoluteString)" } ?? ""
            text += "\n  \(ready.pod.id)  \(ready.pod.name)\(url)"
        }
        for failure in fleet.failures { text += "\n  gave up on \(failure.description) (terminated)" }
        return text
    }

    /// Prints what became of each pod and turns the failure into one the exit-code mapping knows.
    func reported(_ failure: FleetFailure) -> any Error {
        for id in failure.leftRunning { session.podExists(id) }
        for id in failure.terminated { session.podGone(id) }
        if failure.failures.count > 1 {
            for each in failure.failures { reporter.message("  \(each.description)") }
        }
        if !failure.terminated.isEmpty {
            reporter.message(
                "terminated \(failure.terminated.count) pod\(failure.terminated.count == 1 ? "" : "s") the fleet created (confirmed gone).")
        }
        if !failure.leftRunning.isEmpty {
            reporter.message(
                "warning: \(failure.leftRunning.count) pods may still be running and billing; terminate them with:\n"
                    + "  runpod-launcher terminate \(failure.leftRunning.joined(separator: " "))")
        }
        // The first failure decides the exit code (130 for Ctrl-C); the message adds the fleet's outcome.
        return LauncherFailure(error: failure.error, podID: nil, podLeftRunning: false)
    }
}
