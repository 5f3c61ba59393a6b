import Foundation
import Synchronization

/// Where the CLI writes: data on stdout, messages, progress and logs on stderr.
///
/// Commands never call `print`; they write through the current ``Console`` so tests can run them in-process
/// and read what a user would have seen.
public protocol Console: Sendable {
    /// Writes `text` exactly as given (no newline added) to stdout.
    func writeOut(_ text: String)
    /// Writes `text` exactly as given (no newline added) to stderr.
    func writeErr(_ text: String)
    /// True when stderr is an interactive terminal (live progress line instead of plain lines).
    var stderrIsTerminal: Bool { get }
    /// True when stdout is an interactive terminal (`logs` keeps a log's colours there).
    var stdoutIsTerminal: Bool { get }
}

extension Console {
    /// Writes one line of data to stdout, control characters shown as visible escapes (see `TerminalText`).
    public func out(_ line: String) { writeOut(TerminalText.escaped(line) + "\n") }
    /// Writes one line of human text to stderr, control characters shown as visible escapes (see `TerminalText`).
    public func err(_ line: String) { writeErr(TerminalText.escaped(line) + "\n") }
    public var stdoutIsTerminal: Bool { false }
}

/// The process's real stdout and stderr.
public struct StandardConsole: Console {
    public init() {}

    public func writeOut(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    public func writeErr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    public var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
    public var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}

/// A console that keeps everything written to it, for tests.
public final class CapturedConsole: Console {
    private let buffers = Mutex<(out: String, err: String)>(("", ""))
    /// What a terminal check answers; false by default so output is plain lines.
    public let stderrIsTerminal: Bool
    /// What the stdout terminal check answers; false by default.
    public let stdoutIsTerminal: Bool

    public init(stderrIsTerminal: Bool = false, stdoutIsTerminal: Bool = false) {
        self.stderrIsTerminal = stderrIsTerminal
        self.stdoutIsTerminal = stdoutIsTerminal
    }

    public func writeOut(_ text: String) { buffers.withLock { $0.out += text } }
    public func writeErr(_ text: String) { buffers.withLock { $0.err += text } }

    /// Everything written to stdout so far.
    public var stdout: String { buffers.withLock { $0.out } }
    /// Everything written to stderr so far.
    public var stderr: String { buffers.withLock { $0.err } }
}
