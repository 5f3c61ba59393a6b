import ArgumentParser
import Foundation
import PodLauncher
import RunPodAPI

/// `status --json`: the pod as every command prints it, plus the SSH commands RunPod publishes for it.
struct StatusJSON: Encodable {
    /// `{"direct": "ssh …" | null, "proxy": "ssh …" | null}`: RunPod's ready-to-run commands.
    struct SSH: Encodable {
        var direct: String?
        var proxy: String?

        init(_ pod: RunPod.Pod) {
            direct = pod.ssh?.direct.map { SSHTarget.shellQuoted(SSHTarget(route: .direct, endpoint: $0).arguments()) }
            proxy = pod.ssh?.proxy.map { SSHTarget.shellQuoted(SSHTarget(route: .proxy, endpoint: $0).arguments()) }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(direct, forKey: .direct)
            try container.encode(proxy, forKey: .proxy)
        }

        enum CodingKeys: String, CodingKey { case direct, proxy }
    }

    var pod: PodJSON
    var ssh: SSH

    enum CodingKeys: String, CodingKey { case ssh }

    func encode(to encoder: any Encoder) throws {
        try pod.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ssh, forKey: .ssh)
    }
}

/// `status POD_ID`: what RunPod says about one pod.
struct StatusCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show one pod: status, GPU, data center, cost, app URLs and its ssh command.")

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
            runtime.console.out(JSONOutput.encode(StatusJSON(pod: PodJSON(pod, ready: nil, urls: urls), ssh: StatusJSON.SSH(remote))))
            return
        }
        var rows: [(String, String)] = [
            ("id", pod.id), ("name", pod.name), ("status", pod.status.rawValue),
            ("gpu", pod.gpuTypeID.map { "\(pod.gpuCount)× \($0)" } ?? "-"), ("data center", pod.dataCenterID ?? "-"),
            ("cloud", pod.cloud?.rawValue ?? "-"),
            ("allocated", [pod.vcpuCount.map { "\($0) vCPUs" }, pod.memoryGB.map { "\($0) GB RAM" }].compactMap { $0 }.joined(separator: ", ")),
            ("network volume", pod.networkVolumeID.map { "\($0) at \(remote.mounts?.network?.first?.path ?? Defaults.mountPath)" } ?? "-"),
            ("image", pod.image ?? "-"), ("cost", ProgressDrawing.price(pod.costPerHour)),
        ]
        rows.removeAll { $0.0 == "allocated" && $0.1.isEmpty }
        if let started = remote.startedAt { rows.append(("started", started)) }
        for (port, url) in urls.sorted(by: { $0.key < $1.key }) { rows.append(("url \(port)", url.absoluteString)) }
        switch SSHTarget.choose(for: remote) {
        case .success(let target): rows.append(("ssh", SSHTarget.shellQuoted(target.arguments()) + " (\(target.route.rawValue))"))
        case .failure where remote.status == .running: rows.append(("ssh", "- (none published: `runpod-launcher ssh \(pod.id)` says why)"))
        case .failure: break
        }
        runtime.console.writeOut(Table.keyValue(rows))
    }
}
