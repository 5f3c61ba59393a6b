import ArgumentParser
import Foundation
import RunPodAPI

/// `volumes`: the account's network volumes and their data centers.
struct VolumesCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "volumes", abstract: "List your network volumes with their size and data center (where pods using them run).")

    @OptionGroup var global: Flags.Global
    @OptionGroup var output: Flags.Output

    var jsonRequested: Bool { output.json }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        let volumes = try await runtime.client().listNetworkVolumes()
        if output.json {
            let items = volumes.map { VolumeListJSON.Volume(id: $0.id, name: $0.name, sizeGB: $0.size, dataCenterId: $0.dataCenter) }
            runtime.console.out(JSONOutput.encode(VolumeListJSON(volumes: items)))
            return
        }
        guard !volumes.isEmpty else {
            runtime.console.err("no network volumes (create one in the RunPod console → Storage).")
            return
        }
        runtime.console.writeOut(
            Table.columns(["ID", "NAME", "SIZE", "DATA CENTER"], volumes.map { [$0.id, $0.name, "\($0.size) GB", $0.dataCenter] }))
    }
}
