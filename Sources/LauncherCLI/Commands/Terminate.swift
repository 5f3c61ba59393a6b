import ArgumentParser
import Foundation
import PodLauncher

/// `terminate POD_ID…`: terminate pods and confirm each gone.
struct TerminateCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "terminate",
        abstract: "Terminate pods and confirm each is gone; prints each terminated ID.",
        discussion: "Pods are terminated concurrently (4 at a time). The exit status is that of the first failure, or 0 when all are confirmed gone.")

    @OptionGroup var global: Flags.Global

    @Argument(help: ArgumentHelp("The pods to terminate.", valueName: "POD_ID"))
    var podIDs: [String]

    @OptionGroup var output: Flags.Output

    var jsonRequested: Bool { output.json }

    func validate() throws {
        guard !podIDs.isEmpty else { throw ValidationError("give at least one POD_ID (see `runpod-launcher list`).") }
        if podIDs.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) { throw ValidationError("a POD_ID is empty.") }
    }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        let reporter = runtime.reporter()
        defer { reporter.finish() }
        let launcher = try runtime.launcher(reporter: reporter)
        let ids = podIDs.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }

        let outcomes = await launcher.terminatePods(ids)
        reporter.finish()
        try Task.checkCancellation()

        let source = runtime.session.credentialSource
        let terminated = outcomes.filter { $0.error == nil }.map(\.podID)
        let failed = outcomes.compactMap { outcome in outcome.error.map { (outcome.podID, Failure.from($0, credentialSource: source)) } }
        if output.json {
            let document = TerminateJSON(terminated: terminated, failed: failed.map { .init(id: $0.0, kind: $0.1.kind, message: $0.1.message) })
            runtime.console.out(JSONOutput.encode(document))
        } else {
            for id in terminated { runtime.console.out(id) }
        }
        for (id, failure) in failed { runtime.console.err("error: could not terminate \(id): \(failure.message)") }
        if let first = failed.first { throw ExitCode(first.1.status) }
    }
}
