import Foundation

/// Runs `run`'s COMMAND as a child process that shares our stdin, stdout and stderr.
enum ChildProcess {
    /// Runs `command` (looked up in PATH) with `environment`; returns its exit status (128 + N when killed by signal N).
    /// Cancellation sends it SIGTERM, then SIGKILL after `killAfter`, and still waits for it to exit.
    static func run(_ command: [String], environment: [String: String], killAfter: Duration = .seconds(5)) async throws -> Int32 {
        let process = Process()
        // env(1) does the PATH lookup a shell would, and reports "command not found" with status 127 itself.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["--"] + command
        process.environment = environment
        let finished: Process = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Process, any Error>) in
                process.terminationHandler = { continuation.resume(returning: $0) }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: CLIError.commandNotStarted(command: command[0], reason: error.localizedDescription))
                    return
                }
                if Task.isCancelled { stop(process, killAfter: killAfter) }
            }
        } onCancel: {
            stop(process, killAfter: killAfter)
        }
        switch finished.terminationReason {
        case .uncaughtSignal: return 128 + finished.terminationStatus
        default: return finished.terminationStatus
        }
    }

    private static func stop(_ process: Process, killAfter: Duration) {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        process.terminate()
        Task.detached {
            try? await Task.sleep(for: killAfter)
            if process.isRunning { kill(pid, SIGKILL) }
        }
    }
}
