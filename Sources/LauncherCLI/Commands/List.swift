import ArgumentParser
import Foundation
import PodLauncher
import RunPodAPI

/// `list`: the account's pods; `list --mine`: those this tool created, marking the ones no running launcher owns.
struct ListCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List your pods (ID, name, status, GPU, data center, cost).",
        discussion: """
            --mine lists only the pods runpod-launcher created (they carry RUNPOD_LAUNCHER=1 in their environment) with \
            their age and owner: the launcher process on this machine looking after each one, or ORPHANED when none is \
            (its launcher was killed or exited leaving it running, or it was launched elsewhere). Remove orphans with \
            `runpod-launcher terminate --all-mine`. Local records of pods RunPod no longer has are pruned.
            """)

    @OptionGroup var global: Flags.Global

    @Flag(help: "Only pods this tool created, with their owner; ORPHANED marks those no running launcher owns.")
    var mine = false

    @OptionGroup var output: Flags.Output

    var jsonRequested: Bool { output.json }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        if mine { return try await listMine(runtime) }
        let pods = try await runtime.client().listPods()
        let template = runtime.settings.proxyURLTemplate
        if output.json {
            let items = pods.map { PodJSON(Pod($0), ready: nil, urls: $0.status == .running ? ProxyURLs.urls(for: $0, template: template) : [:]) }
            runtime.console.out(JSONOutput.encode(PodListJSON(pods: items)))
            return
        }
        guard !pods.isEmpty else {
            runtime.console.err("no pods.")
            return
        }
        let rows = pods.map(Pod.init).map { pod in
            [
                pod.id, pod.name, pod.status.rawValue, pod.gpuTypeID.map { "\(pod.gpuCount)× \($0)" } ?? "-", pod.dataCenterID ?? "-",
                ProgressDrawing.price(pod.costPerHour),
            ]
        }
        runtime.console.writeOut(Table.columns(["ID", "NAME", "STATUS", "GPU", "DATA CENTER", "COST"], rows))
        let billing = pods.filter { $0.status != .terminated }.compactMap(\.cost).reduce(0, +)
        runtime.console.err("\(pods.count) pod(s), \(ProgressDrawing.price(billing)) in total.")
    }

    private func listMine(_ runtime: Runtime) async throws {
        let launcher = try runtime.launcher(reporter: nil)
        let listing = try await launcher.listMinePods()
        let now = Date()
        let console = runtime.console
        for url in listing.unreadableRecords { console.err("warning: unreadable ledger record \(url.path) (left in place).") }
        if !listing.prunedRecords.isEmpty {
            console.err(
                "forgot \(listing.prunedRecords.count) local record(s) of pods RunPod no longer has: "
                    + listing.prunedRecords.map(\.podID).joined(separator: ", ") + ".")
        }
        if output.json {
            let document = MinePodListJSON(
                pods: listing.pods.map { MinePodJSON($0, now: now) }, ledger: launcher.ledger?.directory.path,
                prunedRecords: listing.prunedRecords.map(\.podID))
            console.out(JSONOutput.encode(document))
            return
        }
        guard !listing.pods.isEmpty else {
            console.err("no pods created by runpod-launcher.")
            return
        }
        let rows = listing.pods.map { mine in
            [
                mine.pod.id, mine.pod.name, mine.pod.status.rawValue, mine.pod.gpuTypeID.map { "\(mine.pod.gpuCount)× \($0)" } ?? "-",
                ProgressDrawing.price(mine.pod.costPerHour), mine.age(at: now).map(MineText.age) ?? "-", MineText.owner(mine.ownership),
            ]
        }
        console.writeOut(Table.columns(["ID", "NAME", "STATUS", "GPU", "COST", "AGE", "OWNER"], rows))
        let orphans = listing.pods.filter(\.isOrphaned)
        let billing = orphans.map(\.pod.costPerHour).reduce(0, +)
        var summary = "\(listing.pods.count) pod(s) created by runpod-launcher"
        if orphans.isEmpty {
            summary += "; none orphaned."
        } else {
            summary +=
                ", \(orphans.count) ORPHANED (\(ProgressDrawing.price(billing)) with no launcher watching). "
                + "Terminate them with: runpod-launcher terminate --all-mine"
        }
        console.err(summary)
    }
}

/// How `list --mine` and `terminate --all-mine` word owners and ages.
enum MineText {
    /// `launcher pid 4242`, `ORPHANED (launcher 4242 gone)`, …
    static func owner(_ ownership: MinePod.Ownership) -> String {
        switch ownership {
        case .liveLauncher(let pid): "launcher pid \(pid)"
        case .otherMachine(let host, let pid): "launcher pid \(pid) on \(host)"
        case .orphaned(.launcherGone(let pid)): "ORPHANED (launcher \(pid) gone)"
        case .orphaned(.keptByLauncher(let pid, _)): "ORPHANED (left running by \(pid))"
        case .orphaned(.noLocalRecord): "ORPHANED (no local record)"
        }
    }

    /// `45s`, `12m`, `3h05m`, `2d4h`: whole units, for a table.
    static func age(_ duration: Duration) -> String {
        let seconds = max(0, Int(duration.components.seconds))
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m"
        case ..<86_400: return String(format: "%dh%02dm", seconds / 3600, seconds % 3600 / 60)
        default: return "\(seconds / 86_400)d\(seconds % 86_400 / 3600)h"
        }
    }

    /// The owner state of `--json` output: `live`, `otherMachine`, `launcherGone`, `kept` or `noLocalRecord`.
    static func ownerState(_ ownership: MinePod.Ownership) -> String {
        switch ownership {
        case .liveLauncher: "live"
        case .otherMachine: "otherMachine"
        case .orphaned(.launcherGone): "launcherGone"
        case .orphaned(.keptByLauncher): "kept"
        case .orphaned(.noLocalRecord): "noLocalRecord"
        }
    }
}
