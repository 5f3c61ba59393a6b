import Foundation

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A process as the pod ledger remembers it: its PID, when it started, and on which machine, so that a PID the
/// system has since given to another process is not mistaken for the launcher that recorded a pod.
public struct LedgerProcess: Codable, Sendable, Hashable {
    /// The process ID.
    public var pid: Int32
    /// An opaque token for the process's start (Linux: boot ID and start time in ticks; macOS: start time), nil
    /// when the system would not say. Two processes with the same PID and token are the same process.
    public var startToken: String?
    /// The machine's host name (a home directory shared between machines must not judge the other's PIDs).
    public var host: String

    /// Creates a process description.
    public init(pid: Int32, startToken: String?, host: String) {
        self.pid = pid
        self.startToken = startToken
        self.host = host
    }

    /// This process.
    public static let current = LedgerProcess(pid: getpid(), startToken: startToken(of: getpid())?.token, host: hostName)

    /// Whether a process is still running, as far as this machine can tell.
    public enum Liveness: String, Sendable, Hashable, Codable {
        /// It runs (same PID and start time), or it runs and its start time cannot be read.
        case alive
        /// No process has that PID, a different process has it now, or it is a zombie.
        case gone
        /// It ran on another machine: this one cannot tell.
        case unknown
    }

    /// Whether this process still runs. Cheap: one `kill(pid, 0)` and one read of `/proc/PID/stat`.
    public var liveness: Liveness {
        guard host == Self.hostName else { return .unknown }
        guard pid > 0 else { return .gone }
        if kill(pid, 0) != 0, errno == ESRCH { return .gone }
        guard let now = Self.startToken(of: pid) else {
            // It exists (or just went away) but says nothing about its start: check once more, then give it the benefit of the doubt.
            return kill(pid, 0) != 0 && errno == ESRCH ? .gone : .alive
        }
        if now.zombie { return .gone }
        guard let startToken else { return .alive }
        return now.token == startToken ? .alive : .gone
    }

    /// The host name, from `gethostname` (never a DNS lookup).
    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }()

    #if os(Linux)
        private static let bootID: String = {
            let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? ""
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }()

        /// Field 22 of `/proc/PID/stat` (start time in clock ticks after boot) with the boot ID; field 3 says zombie.
        static func startToken(of pid: Int32) -> (token: String, zombie: Bool)? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 19 else { return nil }
            let state = fields[0]
            return ("linux:\(bootID):\(fields[19])", state == "Z" || state == "X")
        }
    #elseif canImport(Darwin)
        static func startToken(of pid: Int32) -> (token: String, zombie: Bool)? {
            var info = kinfo_proc()
            var size = MemoryLayout<kinfo_proc>.stride
            var mib: [Int32] = [CTL_KERN, KERN_PROC, KERN_PROC_PID, pid]
            guard sysctl(&mib, u_int(mib.count), &info, &size, nil, 0) == 0, size > 0 else { return nil }
            let start = info.kp_proc.p_starttime
            return ("darwin:\(start.tv_sec).\(start.tv_usec)", Int32(info.kp_proc.p_stat) == SZOMB)
        }
    #else
        static func startToken(of pid: Int32) -> (token: String, zombie: Bool)? { nil }
    #endif
}
