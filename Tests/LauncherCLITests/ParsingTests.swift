import Foundation
import LauncherCLI
import Testing

/// Usage errors exit 64 with a message that says what is wrong, before anything is sent to RunPod.
@Suite("argument parsing and validation")
struct ParsingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let usageErrors: [Case] = [
        Case(arguments: ["launch", "--timeout", "0"], message: "--timeout must be a positive number of seconds"),
        Case(arguments: ["launch", "--timeout=-5"], message: "--timeout must be a positive number of seconds"),
        Case(arguments: ["wait", "abc", "--timeout", "0"], message: "--timeout must be a positive"),
        Case(arguments: ["run", "--timeout", "0", "--", "true"], message: "--timeout must be a positive"),
        Case(arguments: ["launch", "--gpu-count", "0"], message: "--gpu-count must be at least 1"),
        Case(arguments: ["launch", "--gpu-count=-2"], message: "--gpu-count must be at least 1"),
        Case(arguments: ["launch", "--container-disk", "0"], message: "--container-disk must be at least 1 GB"),
        Case(arguments: ["launch", "--env", "NOVALUE"], message: "is not KEY=VALUE"),
        Case(arguments: ["launch", "--env", "1BAD=x"], message: "is not a valid variable name"),
        Case(arguments: ["launch", "--env", "=x"], message: "is not a valid variable name"),
        Case(arguments: ["launch", "--env", "A=1", "--env", "A=2"], message: "--env A is given twice"),
        Case(arguments: ["launch", "--port", "99999"], message: "is not a port spec"),
        Case(arguments: ["launch", "--port", "8188/udp"], message: "is not a port spec"),
        Case(arguments: ["launch", "--port", "http"], message: "is not a port spec"),
        Case(arguments: ["launch", "--port", "8188", "--port", "8188/http"], message: "--port 8188 is given twice"),
        Case(arguments: ["launch", "--cloud-type", "COMMUNITY", "--network-volume", "vol-1"], message: "network volumes exist only in Secure Cloud"),
        Case(arguments: ["launch", "--cloud-type", "banana"], message: "--cloud-type"),
        Case(arguments: ["launch", "--network-volume", "v", "--no-network-volume"], message: "conflict"),
        Case(arguments: ["launch", "--no-wait", "--timeout", "5"], message: "conflict with --no-wait"),
        Case(arguments: ["launch", "--no-wait", "--keep-on-failure"], message: "conflicts with --no-wait"),
        Case(arguments: ["launch", "--ready-path", "system_stats"], message: "--ready-path must start with '/'"),
        Case(arguments: ["launch", "--no-probe", "--ready-path", "/x"], message: "--ready-path has no effect with --no-probe"),
        Case(arguments: ["launch", "--api-url", "ftp://example.com"], message: "--api-url must be an http(s) URL"),
        Case(arguments: ["gpus", "--network-volume", "v", "--data-center", "EU-RO-1"], message: "conflict"),
        Case(arguments: ["run"], message: "give the command to run after --"),
        Case(arguments: ["run", "--gpu", "NVIDIA A40"], message: "give the command to run after --"),
        Case(arguments: ["terminate"], message: "POD_ID"),
        Case(arguments: ["wait"], message: "POD_ID"),
        Case(arguments: ["status"], message: "POD_ID"),
        Case(arguments: ["emulator", "--time-scale", "0"], message: "--time-scale must be a positive number"),
        Case(arguments: ["emulator", "--port", "70000"], message: "--port must be in 0...65535"),
        Case(arguments: ["launch", "--bogus"], message: "--bogus"),
        Case(arguments: ["nonsense"], message: "nonsense"),
    ]

    @Test("a usage error exits 64, says what is wrong on stderr, and prints nothing on stdout", arguments: usageErrors)
    func usageErrorExits64(_ usage: Case) async throws {
        let result = try await runInProcess(usage.arguments)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(usage.message), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("COMMUNITY with the network volume from the environment is a usage error that names the volume and the way out")
    func communityWithEnvironmentVolume() async throws {
        let result = try await runInProcess(["launch", "--cloud-type", "community"], environment: ["RUNPOD_NETWORK_VOLUME_ID": "vol-from-env"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("vol-from-env"))
        #expect(result.stderr.contains("$RUNPOD_NETWORK_VOLUME_ID"))
        #expect(result.stderr.contains("--no-network-volume"))
    }

    @Test("COMMUNITY with the default network volume is a usage error too")
    func communityWithDefaultVolume() async throws {
        let result = try await runInProcess(["launch", "--cloud-type", "COMMUNITY"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Secure Cloud"))
    }

    @Test("a usage error with --json also prints one JSON error document on stdout")
    func usageErrorAsJSON() async throws {
        let result = try await runInProcess(["launch", "--json", "--cloud-type", "community"])
        #expect(result.status == 64)
        let error = try #require(try jsonObject(result.stdout)["error"] as? [String: Any])
        #expect(error["kind"] as? String == "usage")
        #expect((error["message"] as? String)?.contains("Secure Cloud") == true)
    }

    @Test("an unknown log level in RUNPOD_LAUNCHER_LOG_LEVEL is a usage error")
    func badLogLevel() async throws {
        let result = try await runInProcess(["list"], environment: ["RUNPOD_LAUNCHER_LOG_LEVEL": "loud"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("RUNPOD_LAUNCHER_LOG_LEVEL='loud'"))
    }

    @Test("a proxy template without {podId} is a usage error")
    func badProxyTemplate() async throws {
        let result = try await runInProcess(["list"], environment: ["RUNPOD_LAUNCHER_PROXY_URL": "https://proxy.example"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("{podId}"))
    }

    @Test("--help exits 0 on stdout and documents every exit code")
    func helpDocumentsExitCodes() async throws {
        let result = try await runInProcess(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("EXIT CODES"))
        for status in ExitStatus.allCases {
            #expect(result.stdout.contains("  \(status.rawValue) "), "exit code \(status.rawValue) missing from --help")
        }
    }

    @Test(
        "every subcommand has help",
        arguments: ["launch", "wait", "status", "list", "terminate", "run", "gpus", "volumes", "emulator", "demo", "serve"])
    func subcommandHelp(_ name: String) async throws {
        let result = try await runInProcess([name, "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: runpod-launcher \(name)"))
    }

    @Test("launch flags build the LaunchSpec the user asked for")
    func launchFlagsBuildSpec() throws {
        let flags = try Flags.Pod.parse([
            "--name", "job-1", "--gpu", "NVIDIA A40", "--gpu", "NVIDIA L40S", "--gpu-count", "2", "--cloud-type", "secure",
            "--network-volume", "vol-9", "--image", "me/app:1", "--port", "8188/http", "--port", "22/tcp", "--env", "A=1=2",
            "--env", "HF_HOME=/workspace/hf", "--container-disk", "80",
        ])
        let spec = try flags.spec(environment: [:])
        #expect(spec.name == "job-1")
        #expect(spec.gpuTypeIDs == ["NVIDIA A40", "NVIDIA L40S"])
        #expect(spec.gpuCount == 2)
        #expect(spec.cloudType == .secure)
        #expect(spec.networkVolumeID == "vol-9")
        #expect(spec.mountPath == "/workspace")
        #expect(spec.image == "me/app:1")
        #expect(spec.ports.map(\.description) == ["8188/http", "22/tcp"])
        #expect(spec.env == ["A": "1=2", "HF_HOME": "/workspace/hf"])
        #expect(spec.containerDiskGB == 80)
    }

    @Test("--no-network-volume launches without a volume, which allows COMMUNITY")
    func noNetworkVolume() throws {
        let spec = try Flags.Pod.parse(["--no-network-volume", "--cloud-type", "COMMUNITY"]).spec(environment: ["RUNPOD_NETWORK_VOLUME_ID": "v"])
        #expect(spec.networkVolumeID == nil)
        #expect(spec.cloudType == .community)
    }

    @Test("--timeout takes fractional seconds")
    func fractionalTimeout() throws {
        #expect(try Flags.Readiness.parse(["--timeout", "0.25"]).timeoutDuration == .milliseconds(250))
        #expect(try Flags.Readiness.parse([]).timeoutDuration == .seconds(300))
    }
}
