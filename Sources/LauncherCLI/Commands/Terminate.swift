import ArgumentParser
import Foundation
import PodLauncher

/// `terminate POD_ID…` or `terminate --all-mine`: terminate pods and confirm each gone.
struct TerminateCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "terminate",
        abstract: "Terminate pods and confirm each is gone; prints each terminated ID.",
        discussion: """
            Pods are terminated concurrently (4 at a time). The exit status is that of the first failure, or 0 when all are \
            confirmed gone.
            --all-mine terminates every pod runpod-launcher created (RUNPOD_LAUNCHER=1 in its environment; see `list --mine`) \
            except those a launcher on this machine is still running for, which clean up after themselves \
            (--include-owned terminates those too). --older-than 2h keeps younger pods; --dry-run only shows the plan.
            """)

    @OptionGroup var global: Flags.Global

    @Argument(help: ArgumentHelp("The pods to terminate.", valueName: "POD_ID"))
    var podIDs: [String] = []

    @Flag(name: .customLong("all-mine"), help: "Terminate every pod this tool created that no running launcher owns (see `list --mine`).")
    var allMine = false

    @Option(
        name: .customLong("older-than"),
        help: ArgumentHelp("With --all-mine: only pods at least this old (30m, 2h, 1d, 1h30m).", valueName: "DURATION"))
    var olderThan: String?

    @Flag(name: .customLong("include-owned"), help: "With --all-mine: also pods a launcher on this machine is still running for.")
    var includeOwned = false

    @Flag(name: .customLong("dry-run"), help: "With --all-mine: show what would be terminated (IDs on stdout) and terminate nothing.")
    var dryRun = false

    @OptionGroup var output: Flags.Output

    var jsonRequested: Bool { output.json }

    func validate() throws {
        if allMine {
            guard podIDs.isEmpty else { throw ValidationError("give POD_IDs or --all-mine, not both.") }
            if let olderThan { _ = try AgeArgument.parse(olderThan) }
            return
        }
        for (flag, given) in [("--older-than", olderThan != nil), ("--include-owned", includeOwned), ("--dry-run", dryRun)] where given {
            throw ValidationError("\(flag) applies to --all-mine (as in: runpod-launcher terminate --all-mine \(flag)…).")
        }
        guard !podIDs.isEmpty else {
            throw ValidationError("give at least one POD_ID (see `runpod-launcher list`), or --all-mine for every pod this tool created.")
        }
        if podIDs.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) { throw ValidationError("a POD_ID is empty.") }
    }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        let reporter = runtime.reporter()
        defer { reporter.finish() }
        let launcher = try runtime.launcher(reporter: reporter)
        if allMine { return try await terminateAllMine(runtime, launcher: launcher, reporter: reporter) }
        let ids = podIDs.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }

        let results = await launcher.terminate(podIDs: ids)
        reporter.finish()
        try Task.checkCancellation()

        let source = runtime.session.credentialSource
        // An ID RunPod does not know is an error here: it was named on purpose (the library already forgot any record).
        let terminated = results.filter { if case .terminated = $0.outcome { true } else { false } }
        let failed = results.compactMap { result -> (String, Failure)? in
            switch result.outcome {
            case .terminated: nil
            case .alreadyGone: (result.podID, Failure.from(LauncherError.notFound(kind: "pod", id: result.podID), credentialSource: source))
            case .failed(let error): (result.podID, Failure.from(error, credentialSource: source))
            }
        }
        for result in terminated { if let cost = result.cost { runtime.console.err("pod \(result.podID) \(cost.summary)") } }
        if output.json {
            var document = TerminateJSON(
                terminated: terminated.map(\.podID), failed: failed.map { .init(id: $0.0, kind: $0.1.kind, message: $0.1.message) })
            document.costs = Dictionary(uniqueKeysWithValues: terminated.compactMap { result in result.cost.map { (result.podID, CostJSON($0)) } })
            runtime.console.out(JSONOutput.encode(document))
        } else {
            for result in terminated { runtime.console.out(result.podID) }
        }
        for (id, failure) in failed { runtime.console.err("error: could not terminate \(id): \(failure.message)") }
        if let first = failed.first { throw ExitCode(first.1.status) }
    }

    private func terminateAllMine(_ runtime: Runtime, launcher: RunPodLauncher, reporter: ProgressReporter) async throws {
        let console = runtime.console
        let threshold = try olderThan.map { try AgeArgument.parse($0) }
        let listing = try await launcher.listMinePods()
        let selection = MinePodSelection(listing.pods, olderThan: threshold, includeOwned: includeOwned)
        for (pod, reason) in selection.skipped { console.err("skipping \(pod.pod.id) (\(pod.pod.name)): \(Self.describe(reason))") }
        let ids = selection.selected.map(\.pod.id)
        let costPerHour = selection.selected.map(\.pod.costPerHour).reduce(0, +)

        if dryRun || ids.isEmpty {
            reporter.finish()
            for pod in selection.selected {
                console.err(
                    "would terminate \(pod.pod.id) (\(pod.pod.name), \(pod.pod.status.rawValue), \(pod.age().map(MineText.age) ?? "age unknown"), "
                        + "\(ProgressDrawing.price(pod.pod.costPerHour)), \(MineText.owner(pod.ownership)))")
            }
            if output.json {
                console.out(JSONOutput.encode(AllMineJSON(dryRun: dryRun, selected: ids, terminated: [], failed: [], skipped: selection.skipped)))
            } else if dryRun {
                for id in ids { console.out(id) }
            }
            console.err(Self.summary(selection: selection, terminated: 0, failed: 0, dryRun: dryRun, costPerHour: costPerHour))
            return
        }

        let results = await launcher.terminate(podIDs: ids, reason: "terminate --all-mine")
        reporter.finish()
        try Task.checkCancellation()
        let source = runtime.session.credentialSource
        // Gone between the listing and the terminate counts as terminated: that is what was asked for.
        let terminated = results.filter(\.isGone).map(\.podID)
        let failed = results.compactMap { result in result.error.map { (result.podID, Failure.from($0, credentialSource: source)) } }
        if output.json {
            let failures = failed.map { TerminateJSON.Failed(id: $0.0, kind: $0.1.kind, message: $0.1.message) }
            console.out(
                JSONOutput.encode(AllMineJSON(dryRun: false, selected: ids, terminated: terminated, failed: failures, skipped: selection.skipped)))
        } else {
            for id in terminated { console.out(id) }
        }
        for (id, failure) in failed { console.err("error: could not terminate \(id): \(failure.message)") }
        let stopped = selection.selected.filter { terminated.contains($0.pod.id) }.map(\.pod.costPerHour).reduce(0, +)
        console.err(Self.summary(selection: selection, terminated: terminated.count, failed: failed.count, dryRun: false, costPerHour: stopped))
        if let first = failed.first { throw ExitCode(first.1.status) }
    }

    static func describe(_ reason: MinePodSelection.SkipReason) -> String {
        switch reason {
        case .ownedByLiveLauncher(let pid):
            "a running launcher (pid \(pid)) owns it and will clean up itself; --include-owned terminates it anyway"
        case .ownedOnOtherMachine(let host):
            "launched from \(host), whose launcher cannot be checked from here; --include-owned terminates it anyway"
        case .tooYoung(let age, let threshold):
            "\(MineText.age(age)) old, younger than --older-than \(MineText.age(threshold))"
        case .ageUnknown:
            "RunPod does not say when it was created, so --older-than cannot vouch for it"
        }
    }

    static func summary(selection: MinePodSelection, terminated: Int, failed: Int, dryRun: Bool, costPerHour: Double) -> String {
        var parts: [String] = []
        if selection.selected.isEmpty {
            parts.append("nothing to terminate")
        } else if dryRun {
            parts.append("dry run: would terminate \(selection.selected.count) pod(s) (\(ProgressDrawing.price(costPerHour)))")
        } else {
            parts.append("terminated \(terminated) pod(s), each confirmed gone (\(ProgressDrawing.price(costPerHour)) stopped)")
            if failed > 0 { parts.append("\(failed) failed") }
        }
        let owned = selection.skipped.filter {
            switch $0.reason {
            case .ownedByLiveLauncher, .ownedOnOtherMachine: true
            default: false
            }
        }.count
        if owned > 0 { parts.append("skipped \(owned) owned by a running launcher (add --include-owned to terminate them too)") }
        let young = selection.skipped.count - owned
        if young > 0 { parts.append("kept \(young) younger than --older-than (or of unknown age)") }
        return parts.joined(separator: "; ") + "."
    }
}

/// `terminate --all-mine --json`: the plan, what happened, and what was left alone and why.
struct AllMineJSON: Encodable {
    struct Skipped: Encodable {
        var id: String
        var name: String
        /// `ownedByLiveLauncher`, `ownedOnOtherMachine`, `tooYoung` or `ageUnknown`.
        var reason: String
        var detail: String
    }

    var dryRun: Bool
    /// The pods chosen (terminated unless `dryRun`).
    var selected: [String]
    var terminated: [String]
    var failed: [TerminateJSON.Failed]
    var skipped: [Skipped]

    init(
        dryRun: Bool, selected: [String], terminated: [String], failed: [TerminateJSON.Failed],
        skipped: [(pod: MinePod, reason: MinePodSelection.SkipReason)]
    ) {
        self.dryRun = dryRun
        self.selected = selected
        self.terminated = terminated
        self.failed = failed
        self.skipped = skipped.map { pod, reason in
            let code =
                switch reason {
                case .ownedByLiveLauncher: "ownedByLiveLauncher"
                case .ownedOnOtherMachine: "ownedOnOtherMachine"
                case .tooYoung: "tooYoung"
                case .ageUnknown: "ageUnknown"
                }
            return Skipped(id: pod.pod.id, name: pod.pod.name, reason: code, detail: TerminateCommand.describe(reason))
        }
    }
}
