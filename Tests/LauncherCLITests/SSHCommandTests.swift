import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Testing

@testable import LauncherCLI

@Suite("ssh: the command RunPod publishes for a pod")
struct SSHCommandTests {
    static let direct = RunPod.SSHEndpoint(host: "213.173.108.12", port: 17_022, username: "root", command: "ssh root@213.173.108.12 -p 17022")
    static let proxy = RunPod.SSHEndpoint(host: "ssh.runpod.io", port: 22, username: "abc123-64411eb2", command: "ssh abc123-64411eb2@ssh.runpod.io")

    static func pod(_ status: RunPod.PodStatus, ports: [String] = ["8188/http"], direct: RunPod.SSHEndpoint?, proxy: RunPod.SSHEndpoint?)
        -> RunPod.Pod
    {
        RunPod.Pod(id: "abc123", name: "n", status: status, ports: ports, ssh: RunPod.PodSSH(proxy: proxy, direct: direct))
    }

    @Test("direct SSH is chosen when published, else the proxy; --proxy picks the proxy")
    func choice() throws {
        let both = Self.pod(.running, ports: ["8188/http", "22/tcp"], direct: Self.direct, proxy: Self.proxy)
        #expect(try SSHTarget.choose(for: both).get() == SSHTarget(route: .direct, endpoint: Self.direct))
        #expect(try SSHTarget.choose(for: both, preferProxy: true).get().route == .proxy)
        let proxyOnly = Self.pod(.running, direct: nil, proxy: Self.proxy)
        #expect(try SSHTarget.choose(for: proxyOnly).get() == SSHTarget(route: .proxy, endpoint: Self.proxy))
        #expect(try SSHTarget.choose(for: both).get().arguments() == ["ssh", "-p", "17022", "root@213.173.108.12"])
        #expect(
            try SSHTarget.choose(for: proxyOnly).get().arguments(command: ["nvidia-smi"]) == ["ssh", "abc123-64411eb2@ssh.runpod.io", "nvidia-smi"])
    }

    @Test(
        "a pod with no usable SSH endpoint gets a reason, not a command",
        arguments: [
            (RunPod.PodStatus.running, ["8188/http"], "exposes no 22/tcp port (ports 8188/http)"),
            (.running, ["8188/http", "22/tcp"], "has assigned no public port"),
            (.provisioning, ["8188/http", "22/tcp"], "PROVISIONING: RunPod publishes SSH once it is RUNNING"),
            (.exited, ["22/tcp"], "EXITED: there is no container"),
        ])
    func none(status: RunPod.PodStatus, ports: [String], reason: String) {
        let proxy: RunPod.SSHEndpoint? = status == .running ? nil : Self.proxy
        guard case .failure(let unavailable) = SSHTarget.choose(for: Self.pod(status, ports: ports, direct: nil, proxy: proxy)) else {
            Issue.record("a command was chosen for a pod without SSH")
            return
        }
        #expect(unavailable.message.contains(reason), "\(unavailable.message)")
    }

    @Test("arguments with spaces or quotes are printed so a shell reads them back the same")
    func quoting() {
        #expect(SSHTarget.shellQuoted(["ssh", "root@1.2.3.4", "echo", "it's a test"]) == #"ssh root@1.2.3.4 echo 'it'\''s a test'"#)
    }

    @Test("against the emulator: --print gives the direct command for a pod with 22/tcp, the proxy one without; status shows it")
    func printed() async throws {
        try await withEmulator { emulator in
            let environment = try Observe.environment(emulator)
            let withPort = try await Observe.readyPod(emulator, ["--port", "8188/http", "--port", "22/tcp"])
            let direct = try await runInProcess(["ssh", "--print", withPort], environment: environment)
            #expect(direct.status == 0, "\(direct.stderr)")
            let mapped = try #require(await emulator.pod(id: withPort)?.runtimePorts.first { $0.privatePort == 22 })
            #expect(direct.stdout == "ssh -p \(mapped.publicPort) root@\(mapped.ip)\n")

            let withoutPort = try await Observe.readyPod(emulator)
            let proxy = try await runInProcess(["ssh", "--print", withoutPort], environment: environment)
            let hostID = try #require(await emulator.pod(id: withoutPort)?.podHostID)
            #expect(proxy.stdout == "ssh \(hostID)@ssh.runpod.io\n")

            let status = try await runInProcess(["status", withPort], environment: environment)
            #expect(status.stdout.contains("ssh -p \(mapped.publicPort) root@\(mapped.ip) (direct)"))
            let json = try jsonObject(try await runInProcess(["status", "--json", withoutPort], environment: environment).stdout)
            let ssh = try #require(json["ssh"] as? [String: Any])
            #expect(ssh["proxy"] as? String == "ssh \(hostID)@ssh.runpod.io")
            #expect(ssh["direct"] is NSNull)
            #expect(json["id"] as? String == withoutPort)
        }
    }

    @Test("ssh runs the ssh found in PATH with the pod's endpoint and COMMAND, and exits with its status")
    func runsSSH() async throws {
        try await withEmulator { emulator in
            let bin = try temporaryDirectory()
            let record = bin.appendingPathComponent("argv.txt")
            let script = bin.appendingPathComponent("ssh")
            try "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"\(record.path)\"\nexit 7\n".write(to: script, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
            var environment = try Observe.environment(emulator)
            environment["PATH"] = bin.path + ":/usr/bin:/bin"
            let id = try await Observe.readyPod(emulator, ["--port", "8188/http", "--port", "22/tcp"])
            let mapped = try #require(await emulator.pod(id: id)?.runtimePorts.first { $0.privatePort == 22 })

            let result = try await runInProcess(["ssh", id, "-i", "/keys/pod", "--", "nvidia-smi", "-L"], environment: environment)
            #expect(result.status == 7, "\(result.stderr)")
            let argv = try String(contentsOf: record, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(argv == ["-i", "/keys/pod", "-p", String(mapped.publicPort), "root@\(mapped.ip)", "nvidia-smi", "-L"])
            #expect(result.stderr.contains("(direct)"))
        }
    }

    @Test("a pod that is not running yet has no ssh: exit 69 with the reason, and ssh is not run")
    func notRunning() async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            let environment = try Observe.environment(emulator)
            let launched = try await runInProcess(["launch", "--no-wait"], environment: environment)
            let id = launched.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let result = try await runInProcess(["ssh", "--print", id], environment: environment)
            #expect(result.status == ExitStatus.unavailable.rawValue)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("pod \(id) is PROVISIONING"))
            #expect(try await runInProcess(["ssh", "nosuchpod00000"], environment: environment).status == 64)
        }
    }
}
