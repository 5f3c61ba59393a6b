import Foundation

/// Every default the launcher uses, in one place. Each is overridable by a flag or an environment variable.
public enum Defaults {
    /// The network volume the launcher attaches when none is given.
    ///
    /// This is **your** RunPod network volume: replace it with your own volume's ID (RunPod console →
    /// Storage), or override it per run with `--network-volume ID` or `RUNPOD_NETWORK_VOLUME_ID`.
    /// The built-in emulator's default world has a volume with this ID, so the demo works without setup.
    public static let networkVolumeID = "rp-vol-comfyui01"

    /// The ComfyUI image the launcher starts when none is given (`--image`).
    public static let image = "bilunsun/comfyuiprod:pod-test-0"

    /// The ports the pod exposes (`--port`); the first HTTP one is probed for readiness.
    public static let ports: [PortSpec] = [PortSpec(port: 8188, protocol: .http)]

    /// Where the network volume is mounted in the container.
    public static let mountPath = "/workspace"

    /// How long `launch` and `wait` wait for the pod to be ready (`--timeout`).
    public static let readyTimeout: Duration = .seconds(300)

    /// GPU types tried, in this order, when the user gives no `--gpu`.
    public static let gpuTypeIDs = [
        "NVIDIA GeForce RTX 4090", "NVIDIA RTX A6000", "NVIDIA A40", "NVIDIA L40S", "NVIDIA H100 80GB HBM3",
    ]

    /// Container disk in GB (`--container-disk`).
    public static let containerDiskGB = 50

    /// HTTP path probed on the app port to decide it answers (`--ready-path`).
    public static let readyPath = "/"

    /// RunPod's API host; `RUNPOD_API_BASE_URL` (the variable RunPod's SDK reads) or `--api-url` override it.
    // swift-format-ignore: NeverForceUnwrap
    // A literal that is a valid URL: checked by the tests, cannot fail at run time.
    public static let apiBaseURL = URL(string: "https://api.runpod.io")!

    /// How an app port is reached from outside: RunPod's HTTP proxy (`RUNPOD_LAUNCHER_PROXY_URL` overrides it).
    public static let proxyURLTemplate = "https://{podId}-{port}.proxy.runpod.net"
}
