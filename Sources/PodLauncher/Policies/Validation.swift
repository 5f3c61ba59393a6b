import Foundation
import RunPodAPI

/// Checks a spec before anything is sent, so a usage mistake costs no API call and no money.
enum Validation {
    static func check(_ spec: LaunchSpec) throws {
        func fail(_ message: String) -> LauncherError { .invalidInput(message) }
        if let name = spec.name, name.trimmingCharacters(in: .whitespaces).isEmpty { throw fail("The pod name is empty.") }
        guard spec.gpuCount >= 1 else { throw fail("The GPU count must be at least 1 (got \(spec.gpuCount)).") }
        guard !spec.gpuTypeIDs.isEmpty else { throw fail("No GPU type given: pass at least one --gpu.") }
        if spec.gpuTypeIDs.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) { throw fail("A GPU type ID is empty.") }
        guard !spec.image.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("The container image is empty.") }
        guard spec.containerDiskGB >= 1 else { throw fail("The container disk must be at least 1 GB (got \(spec.containerDiskGB)).") }
        for port in spec.ports where !(1...65535).contains(port.port) {
            throw fail("Port \(port.port) is out of range (1-65535).")
        }
        let ports = spec.ports.map(\.port)
        if Set(ports).count != ports.count { throw fail("A port is listed twice: \(spec.ports.map(\.description).joined(separator: ", ")).") }
        for key in spec.env.keys {
            if key.trimmingCharacters(in: .whitespaces).isEmpty { throw fail("An environment variable has an empty name.") }
            if key.contains("=") { throw fail("Environment variable name \"\(key)\" contains \"=\".") }
        }
        if let version = spec.minCUDAVersion, !LaunchSpec.isCUDAVersion(version) {
            throw fail("The minimum CUDA version must be MAJOR.MINOR, as in 12.4 (got \"\(version)\").")
        }
        if let ram = spec.minRAMPerGPU, ram < 1 { throw fail("The minimum RAM per GPU must be at least 1 GB (got \(ram)).") }
        if let vcpus = spec.minVCPUsPerGPU, vcpus < 1 { throw fail("The minimum vCPUs per GPU must be at least 1 (got \(vcpus)).") }
        if spec.networkVolumeID != nil {
            if spec.cloudType == .community {
                throw fail(
                    "Community Cloud cannot attach a network volume: network volumes exist only in Secure Cloud. "
                        + "Use --cloud secure (or all), or launch without a network volume.")
            }
            if spec.networkVolumeID?.isEmpty == true { throw fail("The network volume ID is empty.") }
            guard spec.mountPath.hasPrefix("/") else { throw fail("The mount path must be absolute (got \"\(spec.mountPath)\").") }
        }
    }

    static func check(_ options: LaunchOptions, count: Int) throws {
        func fail(_ message: String) -> LauncherError { .invalidInput(message) }
        guard count >= 1 else { throw fail("The pod count must be at least 1 (got \(count)).") }
        guard options.concurrency >= 1 else { throw fail("The concurrency must be at least 1 (got \(options.concurrency)).") }
        if let minReady = options.minReady, !(1...count).contains(minReady) {
            throw fail("The minimum of ready pods must be between 1 and the count (\(count)), not \(minReady).")
        }
        try check(timeout: options.timeout)
        if let maxLifetime = options.limits.maxLifetime, maxLifetime <= .zero {
            throw fail("The max lifetime must be positive (got \(DurationText.format(maxLifetime))).")
        }
        if let maxCost = options.limits.maxCost, !(maxCost > 0) || !maxCost.isFinite {
            throw fail("The max cost must be a positive number of USD (got \(maxCost)).")
        }
        if let ids = options.launchIDs {
            guard ids.count == count else { throw fail("\(ids.count) launch IDs given for \(count) pods: give one per pod.") }
            guard Set(ids).count == ids.count else { throw fail("A launch ID is given twice: each pod needs its own.") }
            if let bad = ids.first(where: { !PodIdentity.isValidLaunchID($0) }) {
                throw fail("Launch ID \"\(bad)\" is not 8 to 64 letters, digits, '-' or '_'.")
            }
        }
        if let wait = options.waitForCapacity, wait < .zero {
            throw fail("The capacity wait must not be negative (got \(DurationText.format(wait))).")
        }
    }

    static func check(timeout: Duration) throws {
        guard timeout > .zero else { throw LauncherError.invalidInput("The timeout must be positive (got \(formatDuration(timeout))).") }
    }

    /// The catalog ID closest to `input`: one containing it (ignoring case), else the smallest edit distance.
    static func closest(to input: String, in ids: [String]) -> String? {
        let lowered = input.lowercased()
        if let containing = ids.filter({ $0.lowercased().contains(lowered) }).min(by: { $0.count < $1.count }) { return containing }
        return ids.min { editDistance(lowered, $0.lowercased()) < editDistance(lowered, $1.lowercased()) }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
