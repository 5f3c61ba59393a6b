import Foundation
import RunPodAPI
import RunPodEmulator
import Synchronization
import TestSupport
import Testing

@testable import LauncherCLI

@Suite("logs: a pod's log from RunPod's log stream")
struct LogsCommandTests {
    @Test("without -f, logs prints the pod's history (pull, container start, ComfyUI start-up) and exits")
    func history() async throws {
        try await withEmulator { emulator in
            let id = try await Observe.readyPod(emulator)
            let result = try await runInProcess(["logs", id], environment: try Observe.environment(emulator))
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.contains { $0.contains("system") && $0.contains("Pulling from bilunsun/comfyuiprod") })
            #expect(lines.contains { $0.contains("Downloading [") })
            #expect(lines.contains { $0.contains("container") && $0.hasSuffix("To see the GUI go to: http://0.0.0.0:8188") })
            #expect(lines.allSatisfy { $0.split(separator: " ").first.map { LogPrinter.date(String($0)) != nil } == true })
        }
    }

    @Test("--tail, --source and --json select and shape what is printed")
    func selection() async throws {
        try await withEmulator { emulator in
            let id = try await Observe.readyPod(emulator)
            let environment = try Observe.environment(emulator)
            let all = try Observe.jsonLines(try await runInProcess(["logs", id, "--json", "--tail", "5000"], environment: environment).stdout)
            #expect(all.count > 40)
            #expect(all.allSatisfy { Set($0.keys) == ["ts", "source", "line"] })

            let tail = try Observe.jsonLines(try await runInProcess(["logs", id, "--json", "--tail", "3"], environment: environment).stdout)
            #expect(tail == Array(all.suffix(3)))

            let system = try await runInProcess(["logs", id, "--source", "system", "--tail", "5000"], environment: environment)
            let expected = all.filter { $0["source"] == "system" }.map { "\($0["ts"] ?? "") \($0["line"] ?? "")" }
            #expect(system.stdout.split(separator: "\n").map(String.init) == expected, "no source column with --source")

            #expect(try await runInProcess(["logs", id, "--tail", "5001"], environment: environment).status == 64)
            #expect(try await runInProcess(["logs", id, "--source", "kernel"], environment: environment).status == 64)
        }
    }

    @Test("-f follows the pod live, resumes after dropped connections without losing or repeating a line, and ends when the pod stops")
    func followResumes() async throws {
        try await withEmulator { emulator in
            let environment = try Observe.environment(emulator)
            let launched = try await runInProcess(["launch", "--no-wait"], environment: environment)
            let id = launched.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try #require(launched.status == 0)
            // The first two connections are cut after 7 events each: the client must resume twice.
            await emulator.dropLogStreams(afterEvents: 7, times: 2)
            let console = CapturedConsole()
            let follow = Task {
                await RunPodLauncherCommand.execute(
                    ["logs", "-f", "--json", "--tail", "5000", id], context: CommandContext(environment: environment, console: console))
            }
            let servingSeen = await eventually { console.stdout.contains("To see the GUI go to") }
            #expect(servingSeen, "the follower never saw the app start: \(console.stderr)")
            try await emulator.loseMachine(podID: id)
            let status = await follow.value
            #expect(status == 0, "\(console.stderr)")

            let followed = try Observe.jsonLines(console.stdout)
            let whole = try Observe.jsonLines(try await runInProcess(["logs", id, "--json", "--tail", "5000"], environment: environment).stdout)
            #expect(followed == whole, "a line was lost or repeated across the reconnects")
            #expect(followed.last?["line"]?.contains("no longer reachable") == true)
            let notices = console.stderr.split(separator: "\n").filter { $0.hasPrefix("log stream dropped") }
            #expect(notices.count == 2, "\(console.stderr)")
            #expect(notices.allSatisfy { $0.contains("reconnecting after event") && $0.contains("of \(LogsCommand.reconnects))") })
            #expect(console.stderr.contains("log stream ended"))
        }
    }

    @Test("a terminated pod's logs are gone: exit 64 with a message that says so")
    func terminatedPod() async throws {
        try await withEmulator { emulator in
            let id = try await Observe.readyPod(emulator)
            let environment = try Observe.environment(emulator)
            #expect(try await runInProcess(["terminate", id], environment: environment).status == 0)
            let result = try await runInProcess(["logs", id], environment: environment)
            #expect(result.status == 64)
            #expect(result.stderr.contains("no pod \(id)"))
            #expect(result.stderr.contains("logs are gone"))
        }
    }

    @Test("a log stream that keeps dropping gives up after its bounded reconnects, reporting each one")
    func boundedReconnects() async throws {
        try await withEmulator { emulator in
            let id = try await Observe.readyPod(emulator)
            // Every connection is cut before its first event, so the reconnects never reset.
            await emulator.dropLogStreams(afterEvents: 0, times: 100)
            let client = RunPodClient(
                baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey),
                retryPolicy: .exponential(maxAttempts: 4, base: .seconds(1), jitter: false), clock: SkippingClock())
            let notices = NoticeLog()
            let error = await #expect(throws: RunPodAPIError.self) {
                for try await _ in client.podLogs(id: id, onResume: { notices.append($0) }) {}
            }
            #expect(notices.all.map(\.attempt) == [1, 2, 3])
            #expect(notices.all.map(\.delay) == [.seconds(1), .seconds(2), .seconds(4)])
            #expect(error?.message.contains("dropped 4 times in a row") == true)
        }
    }
}

/// Resume notices, collected from the stream's task.
final class NoticeLog: Sendable {
    private let notices = Mutex<[LogStreamResume]>([])
    func append(_ notice: LogStreamResume) { notices.withLock { $0.append(notice) } }
    var all: [LogStreamResume] { notices.withLock { $0 } }
}
