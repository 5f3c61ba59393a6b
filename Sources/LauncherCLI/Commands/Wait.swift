import ArgumentParser
import Foundation
import PodLauncher

/// `wait POD_ID`: wait until an existing pod's app answers.
struct WaitCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until an existing pod is ready (RUNNING, ports published, app answering); print its ID.",
        discussion: "Never terminates the pod: on a timeout or failure it is left as it is (the error says so).")

    @OptionGroup var global: Flags.Global

    @Argument(help: ArgumentHelp("The pod to wait for.", valueName: "POD_ID"))
    var podID: String

    @OptionGroup(title: "Readiness") var readiness: Flags.Readiness
    @OptionGroup var output: Flags.Output

    var jsonRequested: Bool { output.json }

    func validate() throws {
        guard !podID.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("POD_ID is empty.") }
    }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        let reporter = runtime.reporter(followingLogs: true)
        defer { reporter.finish() }
        let launcher = try runtime.launcher(readiness: readiness, reporter: reporter)
        // Someone else's pod: it exists and bills whatever happens here, so a failure names it.
        runtime.session.podExists(podID)
        do {
            let ready = try await launcher.waitForReady(podID: podID, timeout: readiness.timeoutDuration)
            reporter.finish()
            runtime.console.err(Summary.ready(ready))
            runtime.console.out(output.json ? JSONOutput.encode(PodJSON(ready)) : ready.pod.id)
        } catch let error as LauncherError {
            if case .notFound = error.reason { runtime.session.podGone(podID) }
            if case .podFailed(_, .terminated, _) = error.reason { runtime.session.podGone(podID) }
            throw error
        }
    }
}
