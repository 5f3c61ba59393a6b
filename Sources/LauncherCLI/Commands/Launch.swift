import ArgumentParser
import Foundation
import PodLauncher

/// `launch`: create a pod, wait until its app answers, print its ID.
struct LaunchCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Launch a pod and wait until its app answers; print the pod ID.",
        discussion: """
            Places the pod in the network volume's data center, trying each --gpu in order, then waits until the pod is \
            RUNNING, its ports are published and the app port answers through RunPod's proxy. On failure, timeout or \
            Ctrl-C the pod is terminated (unless --keep-on-failure). On success the pod keeps running (and billing) \
            until you run `runpod-launcher terminate ID`.

            Profiles: --use NAME starts from a table of the profiles file (`runpod-launcher profiles` lists them); \
            flags given on the command line win over it. A profile may list several network volumes, one per data \
            center: the launch uses the one whose data center has a requested GPU in stock.

            Limits: --max-lifetime and --max-cost terminate the pod when crossed while launch waits (exit 124); once \
            launch has printed the ID, nothing on this machine watches the pod. For a guard that lasts, use \
            `run --max-lifetime 2h -- sleep infinity`, or add --pod-side-deadline --start-command CMD: the container's \
            start command is replaced by an sh wrapper that runs CMD and, at the deadline, terminates the pod from \
            inside (runpodctl remove pod, else runpodctl stop pod, else SIGTERM to the app). Use it only for images whose \
            entrypoint runs its arguments as a command and that have sh, sleep and date; a stopped pod still bills for \
            its disk, and the network volume always bills.
            """)

    @OptionGroup var global: Flags.Global
    @OptionGroup(title: "Pod") var pod: Flags.Pod
    @OptionGroup(title: "Readiness") var readiness: Flags.Readiness
    @OptionGroup(title: "Fleet") var fleet: Flags.Fleet
    @OptionGroup(title: "Limits and capacity") var limits: Flags.Limits

    @Flag(name: .customLong("no-wait"), help: "Print the pod ID as soon as the pod exists; do not wait for it to be ready.")
    var noWait = false

    @Flag(name: .customLong("keep-on-failure"), help: "Leave the pod running when it fails to become ready (to inspect it).")
    var keepOnFailure = false

    @OptionGroup var output: Flags.Output

    var jsonRequested: Bool { output.json }

    func validate() throws {
        if noWait, readiness.anyGiven {
            throw ValidationError("--timeout, --no-probe and --ready-path apply to waiting; they conflict with --no-wait.")
        }
        if noWait, keepOnFailure {
            throw ValidationError("--keep-on-failure applies to waiting; it conflicts with --no-wait (which never terminates).")
        }
        if noWait, limits.maxCost != nil {
            throw ValidationError("--max-cost is enforced while the launcher waits; with --no-wait nothing would enforce it (use run).")
        }
    }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        let plan = try Flags.plan(
            pod: pod, readiness: readiness, limits: limits, fleet: fleet, keepOnFailure: keepOnFailure, environment: runtime.context.environment)
        let reporter = runtime.reporter(followingLogs: !noWait)
        defer { reporter.finish() }
        let launcher = try runtime.launcher(plan: plan, reporter: reporter)
        let count = fleet.count

        if noWait {
            if plan.options.limits.maxLifetime != nil, plan.options.podSideDeadline == nil {
                throw CLIError.usage("--max-lifetime with --no-wait needs --pod-side-deadline (nothing else would enforce it); or use run.")
            }
            let created = try await launcher.createPods(plan.spec, count: count, options: plan.options)
            reporter.finish()
            for pod in created {
                runtime.console.err(
                    "pod \(pod.id) created (\(pod.status.rawValue), \(PodCost.rate(pod.costPerHour))); "
                        + "it bills until `runpod-launcher terminate \(pod.id)`\(Self.deadlineNote(plan)).")
            }
            if output.json {
                let pods = created.map { PodJSON($0, ready: false, urls: [:]) }
                runtime.console.out(count > 1 ? JSONOutput.encode(LaunchJSON(pods: pods, requested: count, failed: [])) : JSONOutput.encode(pods[0]))
            } else {
                runtime.console.out(created.map(\.id).joined(separator: "\n"))
            }
            return
        }

        let launched = try await launcher.launch(plan.spec, count: count, options: plan.options)
        reporter.finish()
        let ids = launched.podIDs.joined(separator: " ")
        runtime.console.err(
            Summary.launched(launched, count: count) + "\nTerminate \(count > 1 ? "them" : "it") with: runpod-launcher terminate \(ids)")
        if !plan.options.limits.isEmpty {
            runtime.console.err(
                plan.options.podSideDeadline != nil
                    ? "Pod-side deadline: each pod terminates itself \(DurationText.format(plan.options.limits.maxLifetime ?? .zero)) after "
                        + "launch; --max-cost is not watched any more."
                    : "note: --max-lifetime/--max-cost were watched only while launch waited; the pods now run until terminated.")
        }
        if output.json {
            runtime.console.out(count > 1 ? JSONOutput.encode(LaunchJSON(launched, requested: count)) : JSONOutput.encode(PodJSON(launched.pods[0])))
        } else {
            runtime.console.out(launched.podIDs.joined(separator: "\n"))
        }
    }

    /// ` or its pod-side deadline, 2h after launch`, or nothing without one.
    static func deadlineNote(_ plan: LaunchPlan) -> String {
        guard plan.options.podSideDeadline != nil, let lifetime = plan.options.limits.maxLifetime else { return "" }
        return " or its pod-side deadline, \(DurationText.format(lifetime)) after launch"
    }
}
