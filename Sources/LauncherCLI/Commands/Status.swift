import ArgumentParser
import Foundation
import PodLauncher
import RunPodAPI

/// `status POD_ID`: what RunPod says about one pod.
struct StatusCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show one pod: status, GPU, data center, cost and app URLs.")

    @OptionGroup var global: Flags.Global

    @Argument(help: ArgumentHelp("The pod to show.", valueName: "POD_ID"))
    var podID: String

    @OptionGroup var output: Flags.Output

    var jsonRequested: Bool { output.json }

    func validate() throws {
        guard !podID.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("POD_ID is empty.") }
    }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        let client = try runtime.client()
        let remote: RunPod.Pod
        do {
            remote = try await client.getPod(id: podID)
        } catch let error as RunPodAPIError where error.status == 404 {
            throw CLIError.usage("no pod \(podID): RunPod does not know it (terminated pods disappear). `runpod-launcher list` shows yours.")
        }
        let pod = Pod(remote)
        let urls = remote.status == .running ? ProxyURLs.urls(for: remote, template: runtime.settings.proxyURLTemplate) : [:]
        if output.json {
            runtime.console.out(JSONOutput.encode(PodJSON(pod, ready: nil, urls: urls)))
            return
        }
        var rows: [(String, String)] = [
            ("id", pod.id), ("name", pod.name), ("status", pod.status.rawValue),
            ("gpu", pod.gpuTypeID.map { "\(pod.gpuCount)× \($0)" } ?? "-"), ("data center", pod.dataCenterID ?? "-"),
            ("cloud", pod.cloud?.rawValue ?? "-"),
            ("network volume", pod.networkVolumeID.map { "\($0) at \(remote.mounts?.network?.first?.path ?? Defaults.mountPath)" } ?? "-"),
            ("image", pod.image ?? "-"), ("cost", ProgressDrawing.price(pod.costPerHour)),
        ]
        if let started = remote.startedAt { rows.append(("started", started)) }
        for (port, url) in urls.sorted(by: { $0.key < $1.key }) { rows.append(("url \(port)", url.absoluteString)) }
        runtime.console.writeOut(Table.keyValue(rows))
    }
}
