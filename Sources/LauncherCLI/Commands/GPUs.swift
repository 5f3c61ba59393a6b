import ArgumentParser
import Foundation
import PodLauncher
import RunPodAPI

/// `gpus`: GPU types with price and availability, anywhere or where a volume lives.
struct GPUsCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpus",
        abstract: "List GPU types with their price and availability (in a network volume's data center, or one you name).")

    @OptionGroup var global: Flags.Global

    @Option(name: .customLong("network-volume"), help: ArgumentHelp("Show availability in this network volume's data center.", valueName: "ID"))
    var networkVolume: String?

    @Option(name: .customLong("data-center"), help: ArgumentHelp("Show availability in this data center (such as EU-RO-1).", valueName: "ID"))
    var dataCenter: String?

    @Option(name: .customLong("gpu-count"), help: ArgumentHelp("GPUs per pod the availability is for (default 1).", valueName: "N"))
    var gpuCount: Int = 1

    @OptionGroup var output: Flags.Output

    var jsonRequested: Bool { output.json }

    func validate() throws {
        if networkVolume != nil, dataCenter != nil {
            throw ValidationError("--network-volume and --data-center conflict: a volume already fixes the data center. Use one.")
        }
        if gpuCount < 1 { throw ValidationError("--gpu-count must be at least 1, not \(gpuCount).") }
    }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        let client = try runtime.client()
        var place = dataCenter
        if let networkVolume {
            do {
                place = try await client.getNetworkVolume(id: networkVolume).dataCenter
            } catch let error as RunPodAPIError where error.status == 404 {
                throw CLIError.usage("no network volume \(networkVolume) in this account; `runpod-launcher volumes` lists yours.")
            }
        }
        let types = try await client.listGPUTypes(count: gpuCount)
        let rows = Self.rows(types, dataCenter: place)
        if output.json {
            runtime.console.out(JSONOutput.encode(GPUListJSON(dataCenterId: place, networkVolumeId: networkVolume, gpus: rows)))
            return
        }
        if let place {
            runtime.console.err("availability in \(place)\(networkVolume.map { " (network volume \($0))" } ?? ""), \(gpuCount) GPU(s) per pod:")
        }
        let table = rows.map { gpu in
            [
                gpu.id, "\(gpu.memoryGB) GB", gpu.securePricePerHr.map(ProgressDrawing.price) ?? "-",
                gpu.communityPricePerHr.map(ProgressDrawing.price) ?? "-", gpu.availability,
            ]
        }
        runtime.console.writeOut(Table.columns(["GPU TYPE", "MEMORY", "SECURE", "COMMUNITY", "AVAILABILITY"], table))
    }

    /// GPU types with their availability (in `dataCenter` when given), most available first, then cheapest.
    static func rows(_ types: [RunPod.GPUType], dataCenter: String?) -> [GPUListJSON.GPU] {
        let rated: [(RunPod.GPUType, RunPod.AvailabilityLevel)] = types.map { type in
            guard let dataCenter else { return (type, type.availability ?? .none) }
            return (type, type.dataCenters?.first { $0.id == dataCenter }?.availability ?? .none)
        }
        return rated.sorted { lhs, rhs in
            lhs.1 != rhs.1 ? lhs.1 > rhs.1 : lhs.0.price.secure < rhs.0.price.secure
        }.map { type, level in
            GPUListJSON.GPU(
                id: type.id, name: type.name, memoryGB: type.memory, securePricePerHr: type.secure ? type.price.secure : nil,
                communityPricePerHr: type.community ? type.price.community : nil, availability: level.rawValue)
        }
    }
}
