import Foundation
import RunPodAPI

/// Which RunPod cloud to place a pod in. With a network volume, only Secure Cloud is possible.
public enum CloudType: String, Sendable, Hashable, Codable, CaseIterable {
    /// Secure Cloud first, then Community Cloud (Secure only when a network volume is attached).
    case all = "ALL"
    case secure = "SECURE"
    case community = "COMMUNITY"
}

/// A port the pod exposes, written `8188/http` or `22/tcp` as RunPod does.
public struct PortSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Transport: String, Sendable, Hashable, Codable {
        case http, tcp
    }

    public var port: Int
    public var `protocol`: Transport

    public init(port: Int, protocol: Transport) {
        self.port = port
        self.protocol = `protocol`
    }

    /// Parses `PORT/http` or `PORT/tcp` (a bare `PORT` means http); nil when malformed or out of 1...65535.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let port = Int(parts[0]), (1...65535).contains(port) else { return nil }
        let proto = parts.count == 2 ? Transport(rawValue: parts[1].lowercased()) : .http
        guard let proto else { return nil }
        self.init(port: port, protocol: proto)
    }

    public var description: String { "\(port)/\(`protocol`.rawValue)" }
}

/// Everything that defines a pod to launch. A value: build it, tweak it, pass it around.
public struct LaunchSpec: Sendable, Hashable, Codable {
    /// The pod's name; nil generates a readable unique one.
    public var name: String?
    /// GPU types in priority order (RunPod IDs such as `NVIDIA GeForce RTX 4090`).
    public var gpuTypeIDs: [String]
    public var gpuCount: Int
    public var cloudType: CloudType
    /// The network volume to attach; nil launches without one.
    public var networkVolumeID: String?
    public var mountPath: String
    public var image: String
    public var ports: [PortSpec]
    public var env: [String: String]
    public var containerDiskGB: Int
    /// The container start command (RunPod's `args`, what the image's entrypoint runs); nil keeps the image's own.
    /// A pod-side deadline (`PodSideDeadline`) replaces it with a wrapper that runs the command it names.
    public var args: String?
    /// Only machines whose CUDA version is at least this (`major.minor`, as `12.4`); nil: any.
    public var minCUDAVersion: String?
    /// Only machines with at least this much system RAM per GPU, in GB; nil: any.
    public var minRAMPerGPU: Int?
    /// Only machines with at least this many vCPUs per GPU; nil: any.
    public var minVCPUsPerGPU: Int?

    /// True for a CUDA version as RunPod takes it: `MAJOR.MINOR` (`12.4`).
    public static func isCUDAVersion(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    public init(
        name: String? = nil,
        gpuTypeIDs: [String] = Defaults.gpuTypeIDs,
        gpuCount: Int = 1,
        cloudType: CloudType = .all,
        networkVolumeID: String? = Defaults.networkVolumeID,
        mountPath: String = Defaults.mountPath,
        image: String = Defaults.image,
        ports: [PortSpec] = Defaults.ports,
        env: [String: String] = [:],
        containerDiskGB: Int = Defaults.containerDiskGB,
        args: String? = nil,
        minCUDAVersion: String? = nil,
        minRAMPerGPU: Int? = nil,
        minVCPUsPerGPU: Int? = nil
    ) {
        self.name = name
        self.gpuTypeIDs = gpuTypeIDs
        self.gpuCount = gpuCount
        self.cloudType = cloudType
        self.networkVolumeID = networkVolumeID
        self.mountPath = mountPath
        self.image = image
        self.ports = ports
        self.env = env
        self.containerDiskGB = containerDiskGB
        self.args = args
        self.minCUDAVersion = minCUDAVersion
        self.minRAMPerGPU = minRAMPerGPU
        self.minVCPUsPerGPU = minVCPUsPerGPU
    }
}
