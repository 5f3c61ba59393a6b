import Foundation
import LauncherCLI
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Testing

/// Bad input is a usage error (64) naming what was wrong, before any API call; an unknown GPU gets the valid list
/// with the closest named; an answer RunPod's contract does not allow is exit 76 with a clear message, never a crash.
@Suite("hostile input: usage errors, unknown GPU types and malformed answers")
struct HostileInputErrorTests {
    /// A command line that must be refused, and text the message must contain to say what was wrong.
    struct BadInput: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var named: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let badInputs: [BadInput] = [
        BadInput(arguments: ["launch", "--env", "NOEQUALS"], named: "NOEQUALS"),
        BadInput(arguments: ["launch", "--env", "=value"], named: "=value"),
        BadInput(arguments: ["launch", "--env", "1BAD=x"], named: "1BAD"),
        BadInput(arguments: ["launch", "--env", "WITH SPACE=x"], named: "WITH SPACE"),
        BadInput(arguments: ["launch", "--env", "A=1", "--env", "A=2"], named: "A"),
        BadInput(arguments: ["launch", "--port", "0"], named: "'0'"),
        BadInput(arguments: ["launch", "--port", "70000"], named: "70000"),
        BadInput(arguments: ["launch", "--port", "8188/udp"], named: "8188/udp"),
        BadInput(arguments: ["launch", "--port", "http"], named: "http"),
        BadInput(arguments: ["launch", "--port=-1/tcp"], named: "-1/tcp"),
        BadInput(arguments: ["launch", "--port", "8188", "--port", "8188/http"], named: "8188"),
        BadInput(arguments: ["launch", "--timeout", "0"], named: "--timeout"),
        BadInput(arguments: ["launch", "--timeout", "-5"], named: "--timeout"),
        BadInput(arguments: ["launch", "--timeout", "nan"], named: "--timeout"),
        BadInput(arguments: ["launch", "--timeout", "inf"], named: "--timeout"),
        BadInput(arguments: ["launch", "--timeout", "soon"], named: "soon"),
        BadInput(arguments: ["wait", "pod123", "--timeout", "0"], named: "--timeout"),
        BadInput(arguments: ["run", "--timeout", "-1", "--", "true"], named: "--timeout"),
        BadInput(arguments: ["launch", "--gpu-count", "0"], named: "--gpu-count"),
        BadInput(arguments: ["launch", "--gpu-count", "-2"], named: "--gpu-count"),
        BadInput(arguments: ["launch", "--container-disk", "0"], named: "--container-disk"),
        BadInput(arguments: ["launch", "--name", "   "], named: "--name"),
        BadInput(arguments: ["launch", "--gpu", " "], named: "--gpu"),
    ]

    @Test("bad input exits 64 naming it, and sends nothing", arguments: badInputs)
    func usage(_ bad: BadInput) async throws {
        try await withGatedEmulator { emulator in
            let result = try await runInProcess(bad.arguments, environment: EndToEndTests.environment(emulator))
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains(bad.named), "the message does not name the bad input: \(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(await emulator.state().calls.isEmpty, "a usage error made API calls")
        }
    }

    @Test(
        "an unknown GPU type lists the valid ones and names the closest",
        arguments: [("RTX 4090", "NVIDIA GeForce RTX 4090"), ("NVIDIA A4O", "NVIDIA A40"), ("nvidia l40", "NVIDIA L40S")])
    func unknownGPU(typed: String, closest: String) async throws {
        try await withGatedEmulator { emulator in
            let result = try await runInProcess(["launch", "--gpu", typed], environment: EndToEndTests.environment(emulator))
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains("Unknown GPU type \"\(typed)\""))
            #expect(result.stderr.contains("Did you mean \"\(closest)\"?"), "\(result.stderr)")
            #expect(result.stderr.contains("Valid GPU type IDs:") && result.stderr.contains("NVIDIA A40") && result.stderr.contains("NVIDIA L40S"))
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    /// A read the CLI makes, how to break its answer, and the command that makes the read.
    struct BrokenAnswer: Sendable, CustomTestStringConvertible {
        var command: [String]
        var operation: String
        var kind: FaultKind
        var needsPod = false
        var testDescription: String { "\(command.joined(separator: " ")): \(operation) answers \(kind.label)" }
    }

    /// Each read the CLI makes, answered six wrong ways.
    static let brokenAnswers: [BrokenAnswer] = {
        let reads: [(command: [String], operation: String, field: String, needsPod: Bool)] = [
            (["launch"], "getNetworkVolume", "dataCenter", false),
            (["launch"], "listGpuTypes", "id", false),
            (["gpus"], "listGpuTypes", "id", false),
            (["volumes"], "listNetworkVolumes", "dataCenter", false),
            (["list"], "listPods", "status", true),
            (["status", "POD"], "getPod", "status", true),
        ]
        return reads.flatMap { read in
            [
                FaultKind.malformedJSON, .truncatedJSON, .htmlAnswer, .alterField(field: read.field, value: nil),
                .alterField(field: read.field, value: "null"), .alterField(field: read.field, value: "[42]"),
            ].map { BrokenAnswer(command: read.command, operation: read.operation, kind: $0, needsPod: read.needsPod) }
        }
    }()

    @Test("a malformed answer exits 76 with a clear message, never a crash", arguments: brokenAnswers)
    func malformed(_ broken: BrokenAnswer) async throws {
        try await withGatedEmulator { emulator in
            let launcher = MatrixRig(emulator: emulator).launcher()
            let pod = broken.needsPod ? try await launcher.createPod(LaunchSpec()) : nil
            await emulator.setFaults([FaultRule(operation: broken.operation, kind: broken.kind)])
            let command = broken.command.map { $0 == "POD" ? pod?.id ?? "" : $0 } + ["--json"]
            let result = try await runInProcess(command, environment: EndToEndTests.environment(emulator))
            #expect(result.status == 76, "\(result.stderr)")
            #expect(result.stderr.contains("error: "), "\(result.stderr)")
            #expect(result.stderr.contains(broken.operation), "the message does not say which call failed: \(result.stderr)")
            #expect(result.stderr.contains("does not match the API contract") || result.stderr.contains("could not be read"))
            let error = try jsonObject(result.stdout)["error"] as? [String: Any]
            #expect(error?["kind"] as? String == "malformedResponse")
            await emulator.setFaults([])
            #expect(await emulator.state().pods.filter(\.alive).map(\.id) == (pod.map { [$0.id] } ?? []), "the launch left a pod")
            if let pod { try await launcher.terminatePod(podID: pod.id) }
        }
    }
}

extension FaultKind {
    /// How the matrix names a fault.
    var label: String {
        switch self {
        case .alterField(let field, nil): "without \(field)"
        case .alterField(let field, let value?): "\(field): \(value)"
        default: name
        }
    }
}
