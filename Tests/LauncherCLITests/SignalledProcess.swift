import Foundation
import Synchronization

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#endif

/// The `runpod-launcher` binary as a subprocess that tests can send any signal (SIGINT, SIGTERM, SIGKILL) and whose
/// stderr they can watch while it runs.
final class SignalledProcess: @unchecked Sendable {
    // @unchecked: `process` is only read after `run()`; output goes through the `output` lock.
    private let process: Process
    private let output = OutputBuffers()
    private let readers: Task<Void, Never>
    private let exited: Task<(status: Int32, signalled: Bool), Never>

    /// Starts the binary with exactly `environment` (plus PATH and a temporary HOME and XDG_STATE_HOME).
    init(_ arguments: [String], environment: [String: String]) throws {
        let (process, out, err) = try Binary.process(arguments, environment: environment)
        let (stream, continuation) = AsyncStream.makeStream(of: (status: Int32, signalled: Bool).self)
        process.terminationHandler = { process in
            continuation.yield((process.terminationStatus, process.terminationReason == .uncaughtSignal))
            continuation.finish()
        }
        self.process = process
        try process.run()
        let output = self.output
        let outHandle = out.fileHandleForReading
        let errHandle = err.fileHandleForReading
        readers = Task {
            async let stdout: Void = onOwnThread { Self.drain(outHandle) { chunk in output.buffers.withLock { $0.out.append(chunk) } } }
            async let stderr: Void = onOwnThread { Self.drain(errHandle) { chunk in output.buffers.withLock { $0.err.append(chunk) } } }
            _ = await (stdout, stderr)
        }
        exited = Task { await stream.first { _ in true } ?? (-1, false) }
    }

    private static func drain(_ handle: FileHandle, into append: (Data) -> Void) {
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { return }
            append(chunk)
        }
    }

    /// The process ID.
    var pid: Int32 { process.processIdentifier }

    /// What the process printed on stderr so far.
    var stderrSoFar: String { output.buffers.withLock { String(decoding: $0.err, as: UTF8.self) } }

    /// Sends `signalNumber`.
    func send(_ signalNumber: Int32) { kill(process.processIdentifier, signalNumber) }

    #if os(Linux)
        /// True once the process catches both SIGINT and SIGTERM (its handler is installed), from `SigCgt` in
        /// `/proc/PID/status`.
        var catchesInterrupts: Bool {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
                let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16)
            else { return false }
            let wanted = (UInt64(1) << UInt64(SIGINT - 1)) | (UInt64(1) << UInt64(SIGTERM - 1))
            return mask & wanted == wanted
        }

        /// Polls ``catchesInterrupts`` every 0.1 ms (on its own thread) for up to 10 s, so a test can signal the process
        /// within a fraction of a millisecond of its handler being installed.
        func catchesInterruptsSoon() async -> Bool {
            await onOwnThread { [self] in
                let deadline = ContinuousClock.now + .seconds(10)
                while ContinuousClock.now < deadline {
                    if catchesInterrupts { return true }
                    usleep(100)
                }
                return catchesInterrupts
            }
        }
    #endif

    /// Waits for the process to exit and its output to end. `status` is the exit code, or the signal number when
    /// `signalled`.
    func result() async -> (result: CLIResult, signalled: Bool) {
        let (status, signalled) = await exited.value
        await readers.value
        let result = output.buffers.withLock {
            CLIResult(status: status, stdout: String(decoding: $0.out, as: UTF8.self), stderr: String(decoding: $0.err, as: UTF8.self))
        }
        return (result, signalled)
    }
}
