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
            HTTP port in its environment, and inherits stdin, stdout and stderr. With --count N it also gets RUNPOD_POD_IDS and \
            RUNPOD_POD_URLS (comma-separated, in launch order) and RUNPOD_POD_COUNT; the single-pod variables name the first pod. The pod is terminated and confirmed gone \
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
    }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        let plan = try Flags.plan(pod: pod, readiness: readiness, limits: limits, fleet: fleet, environment: runtime.context.environment)
        let spec = plan.spec
        let reporter = runtime.reporter(followingLogs: true)
        defer { reporter.finish() }
        let launcher = try runtime.launcher(plan: plan, reporter: reporter)
        let command = self.command
        let environment = runtime.context.environment
        let count = fleet.count

        let (status, pods) = try await launcher.withPods(spec, count: count, options: plan.options) { launched in
            reporter.finish()
            runtime.console.err(Summary.launched(launched, count: count) + "\nrunning: \(command.joined(separator: " "))")
            let childEnvironment = Self.environment(for: launched, ports: spec.ports, base: environment)
            let status = try await ChildProcess.run(command, environment: childEnvironment)
            let what = launched.pods.count == 1 ? "pod \(launched.pods[0].pod.id)" : "\(launched.pods.count) pods"
            runtime.console.err("\(command[0]) exited with \(status); terminating \(what)…")
            return (status, launched.pods.map(\.pod))
        }
        let end = Date()
        let costs = pods.map { pod in PodCost(pod: pod, until: end).map { "; \($0.summary)" } ?? "" }
        if pods.count == 1 {
            runtime.console.err("done: pod \(pods[0].id) terminated\(costs[0]); exit status \(status).")
        } else {
            for (pod, cost) in zip(pods, costs) { runtime.console.err("pod \(pod.id) terminated\(cost)") }
            runtime.console.err("done: every pod terminated; exit status \(status).")
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// COMMAND's environment: ours plus, for the first pod, RUNPOD_POD_ID, RUNPOD_POD_URL (its first HTTP port's URL)
    /// and RUNPOD_POD_URL_<PORT>; and for every pod, in launch order, RUNPOD_POD_IDS and RUNPOD_POD_URLS
    /// (comma-separated) and RUNPOD_POD_COUNT.
    static func environment(for launched: LaunchedPods, ports: [PortSpec], base: [String: String]) -> [String: String] {
        var environment = base
        if let first = launched.pods.first { environment.merge(variables(for: first, ports: ports)) { _, new in new } }
        environment["RUNPOD_POD_IDS"] = launched.podIDs.joined(separator: ",")
        environment["RUNPOD_POD_COUNT"] = String(launched.pods.count)
        environment["RUNPOD_POD_URLS"] = launched.pods.map { variables(for: $0, ports: ports)["RUNPOD_POD_URL"] ?? "" }.joined(separator: ",")
        return environment
    }

    /// RUNPOD_POD_ID, RUNPOD_POD_URL (the first HTTP port's URL) and RUNPOD_POD_URL_<PORT> of one pod.
    static func variables(for ready: ReadyPod, ports: [PortSpec]) -> [String: String] {
        var variables = ["RUNPOD_POD_ID": ready.pod.id]
        if let first = ports.first(where: { $0.protocol == .http }), let url = ready.urls[first.port] {
            variables["RUNPOD_POD_URL"] = url.absoluteString
        } else if let url = ready.urls.sorted(by: { $0.key < $1.key }).first?.value {
            variables["RUNPOD_POD_URL"] = url.absoluteString
        }
        for (port, url) in ready.urls { variables["RUNPOD_POD_URL_\(port)"] = url.absoluteString }
        return variables
    }
}
