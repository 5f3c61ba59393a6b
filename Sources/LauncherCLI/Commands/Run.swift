import ArgumentParser
import Foundation
import PodLauncher

/// `run [launch options] -- COMMAND [ARGS…]`: launch, wait, run COMMAND against the pod, always terminate.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Launch a pod, run COMMAND once it is ready, then terminate the pod; exit with COMMAND's status.",
        discussion: """
            COMMAND runs with RUNPOD_POD_ID, RUNPOD_POD_URL (the first HTTP port's URL) and RUNPOD_POD_URL_<PORT> for each \
            HTTP port in its environment, and inherits stdin, stdout and stderr. The pod is terminated and confirmed gone \
            whatever COMMAND's outcome, and on Ctrl-C; then run prints how long the pod ran and what it cost.
            With --max-lifetime or --max-cost the pod is terminated as soon as either is crossed (while waiting or while \
            COMMAND runs; COMMAND gets SIGTERM) and run exits 124, saying which limit, the time and the cost so far.
            --use NAME starts from a launch profile (see `runpod-launcher profiles`); flags win over it.
            Example: runpod-launcher run --gpu "NVIDIA L40S" --max-lifetime 2h -- python submit_workflow.py
            """)

    @OptionGroup var global: Flags.Global
    @OptionGroup(title: "Pod") var pod: Flags.Pod
    @OptionGroup(title: "Readiness") var readiness: Flags.Readiness
    @OptionGroup(title: "Fleet") var fleet: Flags.Fleet
    @OptionGroup(title: "Limits and capacity") var limits: Flags.Limits

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command to run once the pod is ready (after --).", valueName: "COMMAND"))
    var command: [String] = []

    func validate() throws {
        guard let first = command.first, !first.isEmpty else {
            throw ValidationError("give the command to run after --, as in: runpod-launcher run -- sh -c 'curl \"$RUNPOD_POD_URL\"'")
        }
        if fleet.isFleet, limits.anyGiven || pod.use != nil {
            throw ValidationError("--count does not support --use, --max-lifetime, --max-cost, --wait-for-capacity or --pod-side-deadline yet.")
        }
    }

    func run() async throws {
        if fleet.isFleet {
            return try await FleetCommands.run(global: global, pod: pod, readiness: readiness, fleet: fleet, command: command)
        }
        let runtime = try Runtime.prepare(global)
        let plan = try LaunchPlan.resolve(pod: pod, readiness: readiness, limits: limits, environment: runtime.context.environment)
        let spec = plan.spec
        let reporter = runtime.reporter(followingLogs: true)
        defer { reporter.finish() }
        let launcher = try runtime.launcher(readiness: plan.readiness, reporter: reporter)
        let command = self.command
        let environment = runtime.context.environment

        let (status, pod) = try await launcher.withPod(spec, timeout: plan.readiness.timeoutDuration, options: plan.options) { ready in
            reporter.finish()
            runtime.console.err(Summary.ready(ready) + "\nrunning: \(command.joined(separator: " "))")
            let childEnvironment = Self.environment(for: ready, ports: spec.ports, base: environment)
            let status = try await ChildProcess.run(command, environment: childEnvironment)
            runtime.console.err("\(command[0]) exited with \(status); terminating pod \(ready.pod.id)…")
            return (status, ready.pod)
        }
        let cost = PodCost(pod: pod, until: Date()).map { "; \($0.summary)" } ?? ""
        runtime.console.err("done: pod \(pod.id) terminated\(cost); exit status \(status).")
        if status != 0 { throw ExitCode(status) }
    }

    /// The child's environment: ours plus RUNPOD_POD_ID, RUNPOD_POD_URL and RUNPOD_POD_URL_<PORT>.
    static func environment(for ready: ReadyPod, ports: [PortSpec], base: [String: String]) -> [String: String] {
        var environment = base
        environment["RUNPOD_POD_ID"] = ready.pod.id
        if let first = ports.first(where: { $0.protocol == .http }), let url = ready.urls[first.port] {
            environment["RUNPOD_POD_URL"] = url.absoluteString
        } else if let url = ready.urls.sorted(by: { $0.key < $1.key }).first?.value {
            environment["RUNPOD_POD_URL"] = url.absoluteString
        }
        for (port, url) in ready.urls { environment["RUNPOD_POD_URL_\(port)"] = url.absoluteString }
        return environment
    }
}
