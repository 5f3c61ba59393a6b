import Foundation
import GraphQL

/// A GraphQL object value: field name → value. A missing key reads as null, so nil values are left out.
typealias GraphQLObject = [String: any Sendable]

/// Renders world records as the objects the GraphQL schema's default resolvers read fields from.
struct GraphQLRenderer: Sendable {
    let world: World

    /// A pod as RunPod's GraphQL API shows it. `desiredStatus` is what the user asked for (RUNNING from the first
    /// second), so clients must look at `runtime`, which stays null until the container is up.
    func pod(_ record: PodRecord) -> GraphQLObject {
        let now = world.clock.now
        let creation = record.creation
        let running = record.status == .running
        var object: GraphQLObject = [
            "id": record.id,
            "name": record.name,
            "imageName": creation.image,
            "desiredStatus": record.desiredStatus,
            "lastStatusChange": lastStatusChange(record),
            "containerDiskInGb": creation.containerDiskGB ?? 50,
            "volumeInGb": Double(creation.volumeGB ?? 0),
            "costPerHr": record.costPerHour,
            "adjustedCostPerHr": record.costPerHour,
            "dockerArgs": creation.args ?? "",
            "env": creation.env.map { "\($0.key)=\($0.value)" },
            "gpuCount": creation.gpuCount,
            "machineId": record.machineID,
            "memoryInGb": Double(record.memoryGB),
            "vcpuCount": Double(record.vcpuCount),
            "podType": "RESERVED",
            "ports": creation.ports.joined(separator: ","),
            "uptimeSeconds": record.uptimeSeconds(now: now),
            "locked": false,
            "machine": machine(record),
        ]
        object["volumeMountPath"] = creation.mountPath
        if let volumeID = creation.networkVolumeID, let volume = world.networkVolume(id: volumeID) {
            object["networkVolume"] = networkVolume(volume)
        }
        if running {
            object["dockerId"] = String(record.id.reversed()) + "-container"
            object["runtime"] = runtime(record, now: now)
        }
        return object
    }

    func networkVolume(_ volume: NetworkVolume) -> GraphQLObject {
        var object: GraphQLObject = ["id": volume.id, "name": volume.name, "size": volume.size, "dataCenterId": volume.dataCenterId]
        if let center = world.dataCenters().first(where: { $0.id == volume.dataCenterId }) {
            object["dataCenter"] = dataCenter(center)
        }
        return object
    }

    func gpuType(_ gpu: GPUType) -> GraphQLObject {
        let offered = world.dataCenters().map(\.id)
        let secure = offered.contains { world.offers(gpuTypeID: gpu.id, dataCenterID: $0, cloud: .secure) }
        let community = offered.contains { world.offers(gpuTypeID: gpu.id, dataCenterID: $0, cloud: .community) }
        return [
            "id": gpu.id,
            "displayName": gpu.displayName,
            "manufacturer": gpu.manufacturer,
            "memoryInGb": gpu.memoryGB,
            "cudaCores": cudaCores[gpu.id] ?? 0,
            "maxGpuCount": gpu.maxCount(in: .all),
            "maxGpuCountSecureCloud": gpu.maxCountSecure,
            "maxGpuCountCommunityCloud": gpu.maxCountCommunity,
            "secureCloud": secure,
            "communityCloud": community,
            "securePrice": gpu.securePrice,
            "communityPrice": gpu.communityPrice,
            // RunPod's spot and savings-plan rates; the emulator derives them from the list prices.
            "secureSpotPrice": rounded(gpu.securePrice * 0.5),
            "communitySpotPrice": rounded(gpu.communityPrice * 0.5),
            "oneWeekPrice": rounded(gpu.securePrice * 0.95),
            "oneMonthPrice": rounded(gpu.securePrice * 0.9),
            "threeMonthPrice": rounded(gpu.securePrice * 0.85),
            "_gpu": gpu,
        ]
    }

    /// `lowestPrice(input:)`: the cheapest on-demand rate with stock for `gpuCount` GPUs, in one data center or any,
    /// Secure (`secureCloud: true`), Community (`false`) or either (omitted). Null prices and stockStatus when there is
    /// no stock; `stockStatus` "None" when the named data center lists the GPU but has none free.
    func lowestPrice(_ gpu: GPUType, input: Map) -> GraphQLObject {
        let count = max(1, input["gpuCount"].int ?? 1)
        let dataCenterID = input["dataCenterId"].string
        let clouds: [CloudType] =
            switch input["secureCloud"].bool {
            case true?: [.secure]
            case false?: [.community]
            case nil: [.secure, .community]
            }
        var object: GraphQLObject = [
            "gpuName": gpu.displayName,
            "gpuTypeId": gpu.id,
            "minMemory": gpu.memoryPerGPUGB * count,
            "minVcpu": gpu.vcpuPerGPU * count,
        ]
        let levels = clouds.map { cloud in
            (cloud, world.availability(gpuTypeID: gpu.id, dataCenterID: dataCenterID, cloud: cloud, count: count))
        }
        let stocked = levels.filter { $0.1 != .none }
        if let best = stocked.map(\.1).max() {
            object["stockStatus"] = stockStatus(best)
            let price = stocked.map { gpu.price(in: $0.0) }.min() ?? gpu.securePrice
            object["uninterruptablePrice"] = price
            object["minimumBidPrice"] = rounded(price * 0.5)
            let centers = dataCenterID.map { [$0] } ?? world.dataCenters().map(\.id)
            let free =
                centers.flatMap { center in stocked.map { world.stock(gpuTypeID: gpu.id, dataCenterID: center, cloud: $0.0) } }
                .max() ?? 0
            let maxCount = min(free, stocked.map { gpu.maxCount(in: $0.0) }.max() ?? 1)
            object["maxUnreservedGpuCount"] = maxCount
            object["availableGpuCounts"] = [1, 2, 4, 8].filter { $0 <= maxCount }
        } else if let dataCenterID, clouds.contains(where: { world.offers(gpuTypeID: gpu.id, dataCenterID: dataCenterID, cloud: $0) }) {
            object["stockStatus"] = "None"
        }
        if let dataCenterID, let center = world.dataCenters().first(where: { $0.id == dataCenterID }) {
            object["countryCode"] = center.countryCode
        }
        return object
    }

    func dataCenter(_ center: DataCenter) -> GraphQLObject {
        ["id": center.id, "name": center.name, "location": center.name]
    }

    private func machine(_ record: PodRecord) -> GraphQLObject {
        [
            "podHostId": record.podHostID,
            "gpuDisplayName": world.gpuType(id: record.creation.gpuTypeID)?.displayName ?? record.creation.gpuTypeID,
            "gpuTypeId": record.creation.gpuTypeID,
            "dataCenterId": record.dataCenterID,
            "location": world.dataCenters().first { $0.id == record.dataCenterID }?.name ?? record.dataCenterID,
            "secureCloud": record.cloud == .secure,
        ]
    }

    private func runtime(_ record: PodRecord, now: Date) -> GraphQLObject {
        let ports: [GraphQLObject] = record.runtimePorts.map {
            ["ip": $0.ip, "isIpPublic": $0.isIpPublic, "privatePort": $0.privatePort, "publicPort": $0.publicPort, "type": $0.type]
        }
        let gpus: [GraphQLObject] = (0..<record.creation.gpuCount).map { index in
            ["id": "GPU-\(record.id.prefix(8))-\(index)", "gpuUtilPercent": 0, "memoryUtilPercent": 0]
        }
        return [
            "uptimeInSeconds": record.uptimeSeconds(now: now),
            "ports": ports,
            "gpus": gpus,
            "container": ["cpuPercent": 1, "memoryPercent": 3] as GraphQLObject,
        ]
    }

    /// RunPod's free-text status line, e.g. `Rented by User: Fri Nov 28 2025 10:00:00 GMT+0000 (Coordinated Universal Time)`.
    private func lastStatusChange(_ record: PodRecord) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM dd yyyy HH:mm:ss"
        let when = "\(formatter.string(from: record.lastStatusChange)) GMT+0000 (Coordinated Universal Time)"
        switch record.status {
        case .exited: return "Exited by user: \(when)"
        case .terminated: return "Terminated by user: \(when)"
        default: return "Rented by User: \(when)"
        }
    }

    private func stockStatus(_ level: AvailabilityLevel) -> String? {
        switch level {
        case .high: "High"
        case .medium: "Medium"
        case .low: "Low"
        case .none: nil
        }
    }

    private func rounded(_ price: Double) -> Double { (price * 100).rounded() / 100 }
}

/// CUDA cores of the GPU types in the demo world (RunPod reports them; the catalog does not carry them).
private let cudaCores: [String: Int] = [
    "NVIDIA GeForce RTX 4090": 16_384,
    "NVIDIA RTX A5000": 8_192,
    "NVIDIA RTX A6000": 10_752,
    "NVIDIA A40": 10_752,
    "NVIDIA L40S": 18_176,
    "NVIDIA A100 80GB PCIe": 6_912,
    "NVIDIA H100 80GB HBM3": 16_896,
]
