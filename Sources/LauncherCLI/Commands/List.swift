import ArgumentParser
import Foundation
import PodLauncher
import RunPodAPI

/// `list`: the account's pods.
struct ListCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List your pods (ID, name, status, GPU, data center, cost).")

    @OptionGroup var global: Flags.Global
    @OptionGroup var output: Flags.Output

    var jsonRequested: Bool { output.json }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
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
}
