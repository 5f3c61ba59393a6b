import ArgumentParser
import Foundation
import RunPodAPI
import Synchronization

/// `logs POD_ID [-f] [--tail N] [--source container|system] [--json]`: a pod's log from RunPod's log stream.
struct LogsCommand: AsyncParsableCommand, JSONOutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a pod's log (container and system lines); -f follows it, resuming after a dropped connection.",
        discussion: """
            Reads RunPod's log stream (GET /v2/pods/{id}/logs, Server-Sent Events). Without -f it prints the recent lines \
            (the last --tail, default 100) and exits once nothing more arrives. With -f it keeps printing new lines until \
            the pod stops or you press Ctrl-C; when the connection drops it reconnects with Last-Event-ID (no line lost or \
            repeated), up to \(LogsCommand.reconnects) times in a row with backoff, and says so on stderr.
            Text output: TIMESTAMP SOURCE LINE (no SOURCE column with --source). --json: one JSON object per line \
            ({"ts", "source", "line"}).
            A terminated pod has no logs any more (RunPod answers 404).
            """)

    /// Reconnects in a row before `logs -f` gives up (the count restarts whenever a line arrives).
    static let reconnects = 5

    @OptionGroup var global: Flags.Global

    @Argument(help: ArgumentHelp("The pod whose log to print.", valueName: "POD_ID"))
    var podID: String

    @Flag(name: .shortAndLong, help: "Keep printing new lines until the pod stops (or Ctrl-C).")
    var follow = false

    @Option(help: ArgumentHelp("Lines of history to print first, 0...5000 (RunPod's default is 100).", valueName: "N"))
    var tail: Int?

    @Option(help: ArgumentHelp("Only this source: container (the app's stdout/stderr) or system (RunPod's host).", valueName: "SOURCE"))
    var source: LogSource?

    @OptionGroup var output: Flags.Output

    var jsonRequested: Bool { output.json }

    /// `--source`.
    enum LogSource: String, CaseIterable, ExpressibleByArgument {
        case container, system
    }

    /// Without -f: the stream is over once no line arrived for this long (RunPod sends the backfill at once)…
    static let quietAfterLines: Duration = .milliseconds(500)
    /// …or, before the first line, for this long (connecting to RunPod can take a moment).
    static let quietBeforeLines: Duration = .seconds(3)

    func validate() throws {
        guard !podID.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("POD_ID is empty.") }
        if let tail, !(0...5000).contains(tail) { throw ValidationError("--tail must be between 0 and 5000, not \(tail).") }
    }

    func run() async throws {
        let runtime = try Runtime.prepare(global)
        let base = try runtime.client()
        let client = RunPodClient(
            baseURL: base.baseURL, apiKey: try runtime.settings.credential().key, logger: runtime.logger,
            retryPolicy: .exponential(maxAttempts: Self.reconnects + 1, base: .milliseconds(250), cap: .seconds(8), maxTotal: .seconds(120)))
        let console = runtime.console
        let printer = LogPrinter(json: output.json, showSource: source == nil)
        // Log lines are the container's own text: escaped on a terminal, keeping only their colours (SGR sequences).
        let colours = !output.json && console.stdoutIsTerminal
        let stream = client.podLogs(id: podID, source: source?.rawValue, tail: tail) { notice in
            let after = notice.cursor.map { "after event \($0)" } ?? "from the start"
            console.err(
                "log stream dropped (\(notice.reason)); reconnecting \(after) in "
                    + "\(String(format: "%.1f", ProgressDrawing.seconds(notice.delay)))s (\(notice.attempt) of \(notice.maxAttempts))")
        }
        let activity = StreamActivity()
        let cutoff = Date().addingTimeInterval(2)
        let follow = self.follow
        let podID = self.podID
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await line in stream {
                        // Without -f, a line stamped after we connected is live output, not the history asked for.
                        if !follow, let ts = LogPrinter.date(line.ts), ts > cutoff { return }
                        console.writeOut(output.json ? printer.format(line) : TerminalText.escaped(printer.format(line), keepingColours: colours))
                        activity.touch()
                    }
                }
                if !follow {
                    group.addTask { try await activity.waitForQuiet(before: Self.quietBeforeLines, after: Self.quietAfterLines) }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let error as RunPodAPIError where error.status == 404 {
            throw CLIError.usage(
                "no pod \(podID): RunPod does not know it (a terminated pod's logs are gone). `runpod-launcher list` shows yours.")
        }
        if follow { console.err("log stream ended: RunPod closes it when the pod stops (`runpod-launcher status \(podID)`).") }
    }
}

/// Formats log lines for stdout.
struct LogPrinter: Sendable {
    var json: Bool
    var showSource: Bool

    /// One line of output, newline included.
    func format(_ line: RunPod.LogLine) -> String {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(line)) ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self) + "\n"
        }
        let source = showSource ? line.source.padding(toLength: 9, withPad: " ", startingAt: 0) + " " : ""
        return "\(line.ts) \(source)\(line.line)\n"
    }

    /// RunPod's RFC 3339 timestamps, with or without fractions.
    static func date(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
    }
}

/// When the last log line arrived, to end a non-following `logs` once the stream goes quiet.
final class StreamActivity: Sendable {
    private struct State {
        var last: ContinuousClock.Instant?
    }

    private let start = ContinuousClock.now
    private let state = Mutex(State())

    /// Records a line now.
    func touch() { state.withLock { $0.last = .now } }

    /// Returns once no line arrived for `after` since the last one (or for `before` when none arrived yet).
    func waitForQuiet(before: Duration, after: Duration) async throws {
        while true {
            let deadline = state.withLock { state in state.last.map { $0 + after } ?? start + before }
            if ContinuousClock.now >= deadline { return }
            // Short naps: a line arriving meanwhile moves the deadline closer (from `before` to `after`).
            try await Task.sleep(until: min(deadline, .now + .milliseconds(50)), clock: .continuous)
        }
    }
}
