import Foundation
import LauncherCLI
import Synchronization
import Testing

/// What one CLI run printed and returned.
struct CLIResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String

    /// stdout and stderr together, for "never printed" checks.
    var allOutput: String { stdout + stderr }
}

/// A fresh, empty directory used as HOME so no real `~/.runpod/config.toml` leaks into a test.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("launcher-cli-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// `environment` plus a temporary HOME and XDG_STATE_HOME where not given, so no run reads the real
/// `~/.runpod/config.toml` or writes the pod ledger of whoever runs `swift test` (`HermeticStateTests` checks it).
func hermetic(_ environment: [String: String]) throws -> [String: String] {
    var environment = environment
    if environment["HOME"] == nil { environment["HOME"] = try temporaryDirectory().path }
    if environment["XDG_STATE_HOME"] == nil { environment["XDG_STATE_HOME"] = try temporaryDirectory().path }
    return environment
}

/// Runs the CLI in-process with `environment` (plus a temporary HOME and XDG_STATE_HOME unless given) and captured output.
func runInProcess(_ arguments: [String], environment: [String: String] = [:]) async throws -> CLIResult {
    let environment = try hermetic(environment)
    let console = CapturedConsole()
    let status = await RunPodLauncherCommand.execute(arguments, context: CommandContext(environment: environment, console: console))
    return CLIResult(status: status, stdout: console.stdout, stderr: console.stderr)
}

/// The built `runpod-launcher` binary. `swift build` must run before `swift test` (CI does: see .ci/run).
enum Binary {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var url: URL {
        get throws {
            for directory in [".build/debug", ".build/x86_64-unknown-linux-gnu/debug", ".build/arm64-apple-macosx/debug"] {
                let candidate = packageRoot.appendingPathComponent(directory).appendingPathComponent("runpod-launcher")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw BinaryMissing()
        }
    }

    struct BinaryMissing: Error, CustomStringConvertible {
        var description: String { "the runpod-launcher binary is not built: run `swift build` before `swift test`" }
    }

    /// Starts the binary with exactly `environment` (plus PATH and a temporary HOME and XDG_STATE_HOME).
    static func start(_ arguments: [String], environment: [String: String]) throws -> RunningBinary {
        let (process, out, err) = try process(arguments, environment: environment)
        return try RunningBinary(process: process, out: out, err: err)
    }

    /// A not yet started process of the binary with exactly `environment` (plus PATH and a temporary HOME and XDG_STATE_HOME), stdin
    /// from /dev/null and stdout/stderr into the returned pipes.
    static func process(_ arguments: [String], environment: [String: String]) throws -> (Process, out: Pipe, err: Pipe) {
        let process = Process()
        process.executableURL = try url
        process.arguments = arguments
        var environment = try hermetic(environment)
        environment["PATH"] = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        return (process, out, err)
    }

    /// Runs the binary to completion.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> CLIResult {
        try await start(arguments, environment: environment).result()
    }
}

/// A running `runpod-launcher` subprocess.
final class RunningBinary: @unchecked Sendable {
    // @unchecked: `process` is only signalled after `run()`; all output goes through the `output` lock.
    private let process: Process
    private let output = OutputBuffers()
    private let readers: Task<Void, Never>
    private let exited: Task<Int32, Never>

    init(process: Process, out: Pipe, err: Pipe) throws {
        self.process = process
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try process.run()
        let output = self.output
        let outHandle = out.fileHandleForReading
        let errHandle = err.fileHandleForReading
        readers = Task {
            async let stdout: Void = onOwnThread { Self.drain(outHandle) { chunk in output.buffers.withLock { $0.out.append(chunk) } } }
            async let stderr: Void = onOwnThread { Self.drain(errHandle) { chunk in output.buffers.withLock { $0.err.append(chunk) } } }
            _ = await (stdout, stderr)
        }
        exited = Task { await stream.first { _ in true } ?? -1 }
    }

    private static func drain(_ handle: FileHandle, into append: (Data) -> Void) {
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { return }
            append(chunk)
        }
    }

    /// What the process printed on stdout so far.
    var stdoutSoFar: String { output.buffers.withLock { String(decoding: $0.out, as: UTF8.self) } }

    /// Sends SIGINT, as Ctrl-C would.
    func interrupt() { kill(process.processIdentifier, SIGINT) }

    /// Waits for the process to exit and its output to end, and returns what it printed.
    func result() async -> CLIResult {
        let status = await exited.value
        await readers.value
        return output.buffers.withLock {
            CLIResult(status: status, stdout: String(decoding: $0.out, as: UTF8.self), stderr: String(decoding: $0.err, as: UTF8.self))
        }
    }
}

/// What a subprocess printed so far, shared with the threads reading its pipes.
final class OutputBuffers: Sendable {
    let buffers = Mutex<(out: Data, err: Data)>((Data(), Data()))
}

/// Decodes stdout as one JSON object.
func jsonObject(_ text: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(value as? [String: Any], "stdout is not one JSON object: \(text)")
}

/// Runs blocking `work` on a thread of its own: blocking a Swift concurrency thread would starve the in-process
/// emulator the subprocess is talking to (the cooperative pool has one thread per core).
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
