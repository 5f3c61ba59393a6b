import Foundation

/// A stretch of time billed at fixed hourly rates; `end` is nil while it lasts.
struct CostSpan: Sendable, Hashable {
    var start: Date
    var end: Date?
    var gpuPerHour: Double
    var diskPerHour: Double

    /// USD per GB per hour for storage, from RunPod's monthly list prices (a month is 730 hours).
    static let runningDiskPerGBHour = 0.10 / 730
    static let stoppedVolumePerGBHour = 0.20 / 730
    static let standardVolumePerGBHour = 0.07 / 730
    static let fastVolumePerGBHour = 0.14 / 730

    /// The seconds of this span inside `[from, to)`, with an open span lasting until `now`.
    func seconds(from: Date, to: Date, now: Date) -> Double {
        let end = min(self.end ?? now, to)
        return max(0, end.timeIntervalSince(max(start, from)))
    }

    /// GPU and disk cost inside `[from, to)`.
    func cost(from: Date, to: Date, now: Date) -> (gpu: Double, disk: Double) {
        let hours = seconds(from: from, to: to, now: now) / 3600
        return (gpuPerHour * hours, diskPerHour * hours)
    }
}

extension PodSimulation {
    /// Closes the open span at `time` and opens the one the new status bills: GPUs and disks while the pod holds a
    /// machine, the persistent volume alone while it is stopped, nothing once terminated.
    mutating func bill(from time: Date, status: PodStatus) {
        if let last = spans.indices.last, spans[last].end == nil { spans[last].end = time }
        let creation = record.creation
        let volume = Double(creation.volumeGB ?? 0)
        switch status {
        case .provisioning, .starting, .running:
            let disk = Double(creation.containerDiskGB ?? 50) + volume
            spans.append(CostSpan(start: time, gpuPerHour: record.pricePerHour, diskPerHour: disk * CostSpan.runningDiskPerGBHour))
        case .exited, .error:
            if volume > 0 { spans.append(CostSpan(start: time, gpuPerHour: 0, diskPerHour: volume * CostSpan.stoppedVolumePerGBHour)) }
        case .terminated:
            break
        }
    }
}

/// A network volume's billable life.
struct VolumeLife: Sendable, Hashable {
    var id: String
    var type: String
    var size: Int
    var start: Date
    var end: Date? = nil

    var span: CostSpan {
        let rate = type == "HIGH_PERFORMANCE" ? CostSpan.fastVolumePerGBHour : CostSpan.standardVolumePerGBHour
        return CostSpan(start: start, end: end, gpuPerHour: 0, diskPerHour: Double(size) * rate)
    }
}

/// Everything billing reads, copied out of the world at one instant.
struct BillingLedger: Sendable {
    struct PodEntry: Sendable {
        var id: String
        var clusterID: String?
        var spans: [CostSpan]
    }

    struct EndpointEntry: Sendable {
        var id: String
        var start: Date
    }

    var pods: [PodEntry]
    var volumes: [VolumeLife]
    var clusters: [(id: String, start: Date, end: Date?)]
    var endpoints: [EndpointEntry]
    var now: Date
}
