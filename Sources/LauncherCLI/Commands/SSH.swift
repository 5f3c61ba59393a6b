import ArgumentParser
import Foundation
import RunPodAPI

/// `ssh POD_ID [-- COMMAND ARGS…]`: runs the `ssh` command RunPod publishes for the pod (direct, else the proxy).
struct SSHCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssh",
        abstract: "Open an SSH session to a pod (or run COMMAND there) with the ssh command RunPod publishes.",
        discussion: """
            Uses the pod's direct SSH endpoint (its 22/tcp port on a public IP: full SSH, scp, rsync, port forwarding) \
            when RunPod publishes one, else RunPod's SSH proxy (ssh.runpod.io: an interactive shell only). ssh runs with \
            your terminal; its exit status is this command's. Both authenticate with the SSH public keys of your RunPod \
            account, which reach pods created with startSsh. For direct SSH, launch with --port 22/tcp and an image that \
            runs sshd.
            Examples: runpod-launcher ssh POD_ID
                      runpod-launcher ssh POD_ID -- nvidia-smi
                      runpod-launcher ssh --print POD_ID
            Exits 69 when the pod has no SSH endpoint (it says why), 64 for an unknown pod, else with ssh's status.
            """)

    @OptionGroup var global: Flags.Global

    @Argument(help: ArgumentHelp("The pod to connect to.", valueName: "POD_ID"))
    var podID: String

    @Flag(name: .customLong("print"), help: "Print the ssh command instead of running it.")
    var printOnly = false

    @Flag(name: .customLong("proxy"), help: "Use RunPod's SSH proxy even when direct SSH is published.")
    var preferProxy = false

    @Option(name: [.customShort("i"), .customLong("identity")], help: ArgumentHelp("Private key file for ssh -i.", valueName: "FILE"))
    var identity: String?

    @Option(name: .customLong("ssh-option"), help: ArgumentHelp("Option for ssh -o (repeatable), as in StrictHostKeyChecking=no.", valueName: "OPT"))
    var sshOptions: [String] = []

    @Argument(parsing: .postTerminator, help: ArgumentHelp("A command to run on the pod instead of a shell (after --).", valueName: "COMMAND"))
    var command: [String] = []

    func validate() throws {
        guard !podID.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("POD_ID is empty.") }
        if let identity, identity.isEmpty { throw ValidationError("--identity is empty.") }
    }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        let client = try runtime.client()
        let pod: RunPod.Pod
        do {
            pod = try await client.getPod(id: podID)
        } catch let error as RunPodAPIError where error.status == 404 {
            throw CLIError.usage("no pod \(podID): RunPod does not know it (terminated pods disappear). `runpod-launcher list` shows yours.")
        }
        let target: SSHTarget
        switch SSHTarget.choose(for: pod, preferProxy: preferProxy) {
        case .success(let chosen): target = chosen
        case .failure(let unavailable):
            runtime.console.err("error: \(unavailable.message)")
            throw ExitCode(ExitStatus.unavailable.rawValue)
        }
        let arguments = target.arguments(identity: identity, options: sshOptions, command: command)
        if printOnly {
            runtime.console.out(SSHTarget.shellQuoted(arguments))
            return
        }
        if target.route == .proxy, !command.isEmpty {
            runtime.console.err(
                "warning: RunPod's SSH proxy carries an interactive shell only, so COMMAND may not run; for direct SSH launch with "
                    + "--port 22/tcp and an image that runs sshd.")
        }
        runtime.console.err("connecting to pod \(podID) (\(target.route.rawValue)): \(SSHTarget.shellQuoted(arguments))")
        let status = try await ChildProcess.run(arguments, environment: runtime.context.environment)
        if status != 0 { throw ExitCode(status) }
    }
}

/// The SSH endpoint chosen for a pod, and the `ssh` argument vector for it. A pure function of RunPod's answer.
struct SSHTarget: Sendable, Equatable {
    /// Which of RunPod's two SSH endpoints.
    enum Route: String, Sendable {
        /// The pod's own sshd on its published 22/tcp port.
        case direct
        /// RunPod's SSH proxy (`ssh.runpod.io`).
        case proxy
    }

    /// Why a pod cannot be reached over SSH, for a person.
    struct Unavailable: Error, Sendable, Equatable {
        var message: String
    }

    var route: Route
    var endpoint: RunPod.SSHEndpoint

    /// Direct when published (unless `preferProxy`), else the proxy; else why neither can be used.
    static func choose(for pod: RunPod.Pod, preferProxy: Bool = false) -> Result<SSHTarget, Unavailable> {
        let id = pod.id
        switch pod.status {
        case .running: break
        case .provisioning, .starting:
            return .failure(
                Unavailable(message: "pod \(id) is \(pod.status.rawValue): RunPod publishes SSH once it is RUNNING (`runpod-launcher wait \(id)`)."))
        default:
            return .failure(Unavailable(message: "pod \(id) is \(pod.status.rawValue): there is no container to connect to."))
        }
        let direct = pod.ssh?.direct
        let proxy = pod.ssh?.proxy
        if preferProxy {
            if let proxy { return .success(SSHTarget(route: .proxy, endpoint: proxy)) }
            return .failure(
                Unavailable(
                    message: "RunPod publishes no SSH proxy endpoint for pod \(id)" + (direct == nil ? "." : "; drop --proxy to use direct SSH.")))
        }
        if let direct { return .success(SSHTarget(route: .direct, endpoint: direct)) }
        if let proxy { return .success(SSHTarget(route: .proxy, endpoint: proxy)) }
        let ports = pod.ports ?? []
        let hasSSHPort = ports.contains { $0.split(separator: "/").first == "22" && $0.hasSuffix("/tcp") }
        let portText = ports.isEmpty ? "no ports" : "ports " + ports.joined(separator: ", ")
        let why =
            hasSSHPort
            ? "it exposes 22/tcp but RunPod has assigned no public port to it yet, and there is no SSH proxy entry (is sshd running in the image?)"
            : "it exposes no 22/tcp port (\(portText)), so there is no direct SSH, and no SSH proxy entry"
        return .failure(
            Unavailable(
                message: "RunPod publishes no SSH endpoint for pod \(id): \(why). Launch with --port 22/tcp and an image that runs sshd "
                    + "(RunPod's startSsh), with your public key in your RunPod account settings."))
    }

    /// `ssh [-i FILE] [-o OPT…] [-p PORT] USER@HOST [COMMAND…]`: RunPod's published command, from its parts.
    func arguments(identity: String? = nil, options: [String] = [], command: [String] = []) -> [String] {
        var arguments = ["ssh"]
        if let identity { arguments += ["-i", identity] }
        for option in options { arguments += ["-o", option] }
        if endpoint.port != 22 { arguments += ["-p", String(endpoint.port)] }
        arguments.append("\(endpoint.username)@\(endpoint.host)")
        return arguments + command
    }

    /// The arguments as one line a POSIX shell reads back the same (single quotes where needed).
    static func shellQuoted(_ arguments: [String]) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_")
        return arguments.map { argument in
            if !argument.isEmpty, argument.unicodeScalars.allSatisfy({ safe.contains($0) }) { return argument }
            return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
