import Foundation
import Testing

/// A real `redis-server` from the system's packages, started by a test on a free port with no persistence, and
/// stopped (SIGTERM, then waited for) when the test's body returns. Its process title carries `runpod-launcher-test`
/// so that `.ci/run` can prove none is left behind.
final class RedisServer {
    /// The marker in every test server's process title.
    static let marker = "runpod-launcher-test"

    /// `redis-server` on PATH, or nil.
    static let executable: String? = find("redis-server")
    /// `redis-cli` on PATH, or nil.
    static let cli: String? = find("redis-cli")

    /// Whether the Redis tests must run (CI sets this): a missing `redis-server` then fails them instead of skipping.
    static let required = ProcessInfo.processInfo.environment["RUNPOD_LAUNCHER_REQUIRE_REDIS"] == "1"
    /// Whether to run the Redis tests.
    static let enabled = required || (executable != nil && cli != nil)

    let port: Int
    let password: String?
    private let process: Process

    private init(port: Int, password: String?, process: Process) {
        self.port = port
        self.password = password
        self.process = process
    }

    /// Starts a server (with `requirepass` when `password` is given) and runs `body`; the server is stopped either way.
    static func with<T>(password: String? = nil, _ body: (RedisServer) async throws -> T) async throws -> T {
        let server = try await start(password: password)
        do {
            let value = try await body(server)
            server.stop()
            return value
        } catch {
            server.stop()
            throw error
        }
    }

    private static func start(password: String?) async throws -> RedisServer {
        guard let executable, cli != nil else {
            throw DemandTestError("redis-server and redis-cli are not installed (apt-get install -y redis-server)")
        }
        for _ in 0..<5 {
            let port = try await closedPort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            var arguments = [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", FileManager.default.temporaryDirectory.path, "--loglevel", "warning",
                "--proc-title-template", "{title} {listen-addr} \(marker)",
            ]
            if let password { arguments += ["--requirepass", password] }
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let server = RedisServer(port: port, password: password, process: process)
            // Wait for it to answer PING (a few ms); a port taken in between makes it exit, and another is tried.
            for _ in 0..<250 where process.isRunning {
                if (try? server.command(["PING"])) == "PONG" { return server }
                try await Task.sleep(for: .milliseconds(20))
            }
            server.stop()
        }
        throw DemandTestError("redis-server did not start")
    }

    /// Runs one command with `redis-cli` (authenticated when the server has a password) and returns its output, trimmed.
    @discardableResult
    func command(_ arguments: [String], database: Int = 0) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.cli ?? "/usr/bin/redis-cli")
        var all = ["-h", "127.0.0.1", "-p", String(port)]
        if let password { all += ["-a", password, "--no-auth-warning"] }
        if database != 0 { all += ["-n", String(database)] }
        process.arguments = all + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Pushes `count` messages onto `list`.
    func push(_ count: Int, onto list: String, database: Int = 0) throws {
        let answer = try command(["RPUSH", list] + (0..<count).map { "message-\($0)" }, database: database)
        guard let length = Int(answer), length >= count else { throw DemandTestError("RPUSH \(list) answered '\(answer)'") }
    }

    /// `SHUTDOWN NOSAVE`, then SIGKILL if it is still there, then wait for the process to end. Not SIGTERM: a child
    /// of the test process inherits its blocked-signal mask (SIGTERM included), so redis-server would never see it.
    func stop() {
        if process.isRunning { _ = try? command(["SHUTDOWN", "NOSAVE"]) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin"]
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
