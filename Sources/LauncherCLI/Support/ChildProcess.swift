import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs `run`'s COMMAND as a child process that shares our stdin, stdout and stderr.
///
/// Spawned with `posix_spawn` rather than Foundation's `Process` because the child must start with every signal
/// unblocked and at its default action: Dispatch's signal sources (our Ctrl-C handling) block or ignore SIGINT and
/// SIGTERM in this process, and a child inheriting that could not be stopped by SIGTERM or Ctrl-C.
enum ChildProcess {
    /// Runs `command` (looked up in the child's PATH) with `environment`; returns its exit status (128 + N when
    /// killed by signal N). Cancellation sends it SIGTERM, then SIGKILL after `killAfter`, and still waits for it.
    static func run(_ command: [String], environment: [String: String], killAfter: Duration = .seconds(5)) async throws -> Int32 {
        // env(1) does the PATH lookup a shell would, and reports "command not found" with status 127 itself.
        let pid = try spawn(["/usr/bin/env", "--"] + command, environment: environment)
        // Guards the kill()s: once the child is reaped its pid may belong to someone else.
        let reaped = ReapedFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                // A thread of its own: waitpid blocks, and must not hold a Swift concurrency thread meanwhile.
                Thread { continuation.resume(returning: waitForExit(pid, reaped: reaped)) }.start()
            }
        } onCancel: {
            reaped.flag.withLock { done in if !done { kill(pid, SIGTERM) } }
            let milliseconds = Int(killAfter.components.seconds * 1000 + killAfter.components.attoseconds / 1_000_000_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                reaped.flag.withLock { done in if !done { kill(pid, SIGKILL) } }
            }
        }
    }

    private static func spawn(_ arguments: [String], environment: [String: String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signalNumber in [SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signalNumber) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, arguments[0], nil, &attributes, argv, envp)
        guard result == 0 else {
            throw CLIError.commandNotStarted(command: arguments.dropFirst(2).first ?? arguments[0], reason: String(cString: strerror(result)))
        }
        return pid
    }

    /// Blocks until `pid` exits; its status as a shell reports it.
    private static func waitForExit(_ pid: pid_t, reaped: ReapedFlag) -> Int32 {
        var status: Int32 = 0
        // WNOWAIT first: the child stays a zombie (its pid reserved) until `reaped` is set under the lock.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1, errno == EINTR {}
        reaped.flag.withLock { done in
            while waitpid(pid, &status, 0) == -1, errno == EINTR {}
            done = true
        }
        let signal = status & 0x7f
        if signal == 0 { return (status >> 8) & 0xff }  // WIFEXITED → WEXITSTATUS
        return 128 + signal  // WIFSIGNALED → 128 + WTERMSIG
    }
}

/// Set, under its lock, when the child has been reaped.
private final class ReapedFlag: Sendable {
    let flag = Mutex(false)
}
