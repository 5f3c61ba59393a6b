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
        if fleet.isFleet, limits.anyGiven || pod.use != nil {
            throw ValidationError("--count does not support --use, --max-lifetime, --max-cost, --wait-for-capacity or --pod-side-deadline yet.")
        }
    }

    func run() async throws {
        if fleet.isFleet {
            return try await FleetCommands.launch(
                global: global, pod: pod, readiness: readiness, fleet: fleet, json: output.json, noWait: noWait, keepOnFailure: keepOnFailure)
        }
        let runtime = try Runtime.prepare(global)
        let plan = try LaunchPlan.resolve(pod: pod, readiness: readiness, limits: limits, environment: runtime.context.environment)
        let reporter = runtime.reporter(followingLogs: !noWait)
        defer { reporter.finish() }
        let launcher = try runtime.launcher(readiness: plan.readiness, reporter: reporter)

        if noWait {
            if plan.options.limits.maxLifetime != nil, plan.options.podSideDeadline == nil {
                throw CLIError.usage("--max-lifetime with --no-wait needs --pod-side-deadline (nothing else would enforce it); or use run.")
            }
            let created = try await launcher.launchPod(plan.spec, options: plan.options)
            reporter.finish()
            runtime.console.err(
                "pod \(created.id) created (\(created.status.rawValue), \(PodCost.rate(created.costPerHour))); "
                    + "it bills until `runpod-launcher terminate \(created.id)`\(Self.deadlineNote(plan)).")
            runtime.console.out(output.json ? JSONOutput.encode(PodJSON(created, ready: false, urls: [:])) : created.id)
            return
        }

        let ready = try await launcher.launchUntilReady(
            plan.spec, timeout: plan.readiness.timeoutDuration, keepOnFailure: keepOnFailure, options: plan.options)
        reporter.finish()
        runtime.console.err(Summary.ready(ready) + "\nTerminate it with: runpod-launcher terminate \(ready.pod.id)")
        if !plan.options.limits.isEmpty {
            runtime.console.err(
                plan.options.podSideDeadline != nil
                    ? "Pod-side deadline: the pod terminates itself \(DurationText.format(plan.options.limits.maxLifetime ?? .zero)) after "
                        + "launch; --max-cost is not watched any more."
                    : "note: --max-lifetime/--max-cost were watched only while launch waited; the pod now runs until terminated.")
        }
        runtime.console.out(output.json ? JSONOutput.encode(PodJSON(ready)) : ready.pod.id)
    }

    /// ` or its pod-side deadline, 2h after launch`, or nothing without one.
    static func deadlineNote(_ plan: LaunchPlan) -> String {
        guard plan.options.podSideDeadline != nil, let lifetime = plan.options.limits.maxLifetime else { return "" }
        return " or its pod-side deadline, \(DurationText.format(lifetime)) after launch"
    }
}
