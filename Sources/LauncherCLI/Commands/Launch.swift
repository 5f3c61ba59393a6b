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
            """)

    @OptionGroup var global: Flags.Global
    @OptionGroup(title: "Pod") var pod: Flags.Pod
    @OptionGroup(title: "Readiness") var readiness: Flags.Readiness
    @OptionGroup(title: "Fleet") var fleet: Flags.Fleet

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
    }

    func run() async throws {
        if fleet.isFleet {
            return try await FleetCommands.launch(
                global: global, pod: pod, readiness: readiness, fleet: fleet, json: output.json, noWait: noWait, keepOnFailure: keepOnFailure)
        }
        let runtime = try Runtime.prepare(global)
        let spec = try pod.spec(environment: runtime.context.environment)
        let reporter = runtime.reporter(followingLogs: !noWait)
        defer { reporter.finish() }
        let launcher = try runtime.launcher(readiness: readiness, reporter: reporter)

        if noWait {
            let created = try await launcher.launchPod(spec)
            reporter.finish()
            runtime.console.err("pod \(created.id) created (\(created.status.rawValue)); it bills until `runpod-launcher terminate \(created.id)`.")
            runtime.console.out(output.json ? JSONOutput.encode(PodJSON(created, ready: false, urls: [:])) : created.id)
            return
        }

        let ready = try await launcher.launchUntilReady(spec, timeout: readiness.timeoutDuration, keepOnFailure: keepOnFailure)
        reporter.finish()
        runtime.console.err(Summary.ready(ready) + "\nTerminate it with: runpod-launcher terminate \(ready.pod.id)")
        runtime.console.out(output.json ? JSONOutput.encode(PodJSON(ready)) : ready.pod.id)
    }
}
