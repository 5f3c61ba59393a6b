import Foundation
import PodLauncher
import RunPodEmulator
import Testing

@testable import LauncherCLI

@Suite("the pod's log while waiting: live line, and the last lines of a pod that fails to start")
struct LiveLogLineTests {
    @Test("the live line ends with the latest log line, is cut to the terminal width, and drops it once ready")
    func liveLine() {
        var state = ProgressState()
        state.apply(.created(OutputTests.pod, launchID: "abcd1234", index: 0, count: 1))
        state.logLine = "3f2a1b9c0d4e: Downloading [=====>        ]  812.4MB/1.61GB"
        let line = ProgressDrawing.liveLine(state, elapsed: .seconds(2), frame: 0)
        #expect(line.hasSuffix("waiting for the container · 3f2a1b9c0d4e: Downloading [=====>        ]  812.4MB/1.61GB"))
        let narrow = ProgressDrawing.liveLine(state, elapsed: .seconds(2), frame: 0, width: 60)
        #expect(narrow.count == 60)
        #expect(narrow.hasSuffix("…"))
        state.apply(.ready(ReadyPod(pod: OutputTests.pod, urls: [:], sshCommand: nil, readyAfter: .seconds(3)), index: 0, count: 1))
        #expect(!ProgressDrawing.liveLine(state, elapsed: .seconds(3), frame: 0).contains("·"))
    }

    @Test(
        "a log line is made safe for one terminal line",
        arguments: [
            ("\u{1B}[32mINFO\u{1B}[0m  Starting server", "INFO  Starting server"),
            ("layer: Downloading 10%\rlayer: Downloading 55%\r", "layer: Downloading 55%"),
            ("\tindented\u{07} text  ", " indented text"),
        ])
    func printable(raw: String, shown: String) {
        #expect(LogTail.printable(raw) == shown)
    }

    @Test(
        "a pod that fails to start shows its last log lines, with the ones that say why, before the error",
        arguments: [
            (PodFailureMode.imagePullFails, [String](), Int32(70), "pull access denied for bilunsun/comfyuiprod"),
            (.containerExits, [], 70, "RuntimeError: CUDA error: no kernel image is available"),
            // Long enough for the log stream to open off a terminal (after 1 s without ready).
            (.appNeverAnswers, ["--timeout", "2"], 124, "To see the GUI go to: http://127.0.0.1:8188"),
        ])
    func failureShowsLastLines(mode: PodFailureMode, arguments: [String], status: Int32, why: String) async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: mode))
            let result = try await runInProcess(["launch"] + arguments, environment: try Observe.environment(emulator))
            #expect(result.status == status, "\(result.stderr)")
            let id = try #require(await emulator.state().pods.first?.id)
            let stderr = result.stderr
            let heading = try #require(stderr.range(of: "log line(s) of pod \(id):\n"), "no log block in: \(stderr)")
            let error = try #require(stderr.range(of: "\nerror: "))
            #expect(heading.upperBound < error.lowerBound, "the log lines come before the error")
            // The block is printed when RunPod ends the stream, so the cleanup's progress lines may follow it.
            let block = stderr[heading.upperBound..<error.lowerBound].split(separator: "\n").prefix { $0.hasPrefix("  | ") }
            #expect(block.count <= 20 && block.count >= 5)
            #expect(block.contains { $0.contains(why) }, "\(block)")
        }
    }

    @Test("wait on a pod that fails shows its last lines too; a pod that gets ready shows none")
    func waitAndSuccess() async throws {
        try await withEmulator { emulator in
            let environment = try Observe.environment(emulator)
            let ready = try await runInProcess(["launch"], environment: environment)
            #expect(ready.status == 0)
            #expect(!ready.stderr.contains("log line(s) of pod"))

            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails))
            let created = try await runInProcess(["launch", "--no-wait"], environment: environment)
            #expect(!created.stderr.contains("log line(s) of pod"))
            let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let waited = try await runInProcess(["wait", id], environment: environment)
            #expect(waited.status == 70)
            #expect(waited.stderr.contains("log line(s) of pod \(id):"))
            #expect(waited.stderr.contains("pull access denied"))
        }
    }

    @Test("on a terminal, the live line shows the pod's log while it starts")
    func liveLineOnTerminal() async throws {
        try await withEmulator(EmulatorOptions(port: 0, timeScale: 0.02)) { emulator in
            let console = CapturedConsole(stderrIsTerminal: true)
            let status = await RunPodLauncherCommand.execute(
                ["launch"], context: CommandContext(environment: try Observe.environment(emulator), console: console))
            #expect(status == 0, "\(console.stderr)")
            let drawn = console.stderr.components(separatedBy: "\r\u{1B}[2K").filter { ProgressDrawing.spinner.contains(String($0.prefix(1))) }
            // What follows " · " is the start of one of the pod's log lines (cut to the width), and it moves on.
            let id = try #require(await emulator.state().pods.first?.id)
            let logs = try #require(await emulator.pod(id: id)?.logs.map { LogTail.printable($0.line).trimmingCharacters(in: .whitespaces) })
            let shown = Set(
                drawn.compactMap { line in line.range(of: " · ").map { String(line[$0.upperBound...]).replacingOccurrences(of: "…", with: "") } })
            #expect(!shown.isEmpty, "\(drawn)")
            #expect(shown.allSatisfy { snippet in logs.contains { $0.hasPrefix(snippet) } }, "\(shown)")
        }
    }
}
