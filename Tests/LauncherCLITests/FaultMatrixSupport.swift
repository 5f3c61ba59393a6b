import Foundation
import LauncherCLI
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

/// A fault the matrix injects: a wire fault on one RunPod operation, or a pod that goes wrong.
enum MatrixFault: String, CaseIterable, Sendable {
    case serverError = "5xx (short text body)"
    case htmlServerError = "5xx (Cloudflare HTML page)"
    case rateLimited = "429 with Retry-After"
    case latency = "latency past the request timeout"
    case droppedConnection = "connection dropped after the request was applied"
    case malformedJSON = "malformed JSON"
    case truncatedJSON = "truncated JSON"
    case lostRequest = "a request lost on the way (no answer, nothing applied)"
    case neverStarts = "a pod that never starts"
    case machineLost = "a pod that exits (machine lost)"
    case appNeverAnswers = "an app that never answers"

    /// The wire faults, which apply at every step.
    static let wire: [MatrixFault] = [.serverError, .htmlServerError, .rateLimited, .latency, .droppedConnection, .malformedJSON, .truncatedJSON]

    /// The emulator rule for a wire fault on `operation`, hitting `times` requests (nil = every one).
    func rule(operation: String, times: Int?) -> FaultRule? {
        let kind: FaultKind
        switch self {
        case .serverError: kind = .serverError(status: 500, htmlBody: "Internal Server Error")
        case .htmlServerError: kind = .serverError(status: 502)
        case .rateLimited: kind = .rateLimited(retryAfterSeconds: MatrixRig.retryAfterSeconds)
        case .latency: kind = .latency(milliseconds: MatrixRig.injectedLatencyMilliseconds)
        case .droppedConnection: kind = .dropConnectionAfterApply
        case .malformedJSON: kind = .malformedJSON
        case .truncatedJSON: kind = .truncatedJSON
        case .lostRequest: kind = .lostRequest(milliseconds: MatrixRig.injectedLatencyMilliseconds)
        case .neverStarts, .machineLost, .appNeverAnswers: return nil
        }
        return FaultRule(operation: operation, kind: kind, times: times)
    }
}

/// A step of a launch the matrix can aim a fault at.
enum MatrixStep: String, CaseIterable, Sendable {
    case resolveVolume = "resolve volume"
    case readStock = "stock read"
    case create
    case poll
    case probe
    case terminate
    case confirm = "confirm terminated"

    /// The operation the emulator's fault rules match for this step of a launch of `count` pods: status reads are one
    /// `getPod` while one pod is watched (or confirmed gone), one `listPods` per tick for several.
    func operation(count: Int) -> String {
        switch self {
        case .resolveVolume: "getNetworkVolume"
        case .readStock: "listGpuTypes"
        case .create: "createPod"
        case .poll, .confirm: count == 1 ? "getPod" : "listPods"
        case .probe: "proxy"
        case .terminate: "deletePod"
        }
    }

    /// True for the steps that run after the pod is ready (the faults are set then, not at launch).
    var isAfterReady: Bool { self == .terminate || self == .confirm }
}

/// How a cell must end.
enum MatrixOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The pod became ready (after retries where the fault was transient) and was then terminated.
    case ready
    /// The launch failed with this exit code.
    case exit(LauncherExit)

    var description: String {
        switch self {
        case .ready: "ready"
        case .exit(let status): "exit \(status.rawValue) (\(status))"
        }
    }
}

/// One cell of the fault matrix.
struct MatrixCell: Sendable, CustomTestStringConvertible {
    var fault: MatrixFault
    var step: MatrixStep
    /// nil = the fault hits every matching request; else only the next N.
    var times: Int?
    var keepOnFailure = false
    /// How many pods the launch makes (`--count`).
    var count = 1
    var expected: MatrixOutcome

    /// The sizes every cell runs at: a single launch and a launch of three pods.
    static let counts = [1, 3]

    /// Every cell at every size of `counts`.
    static func forEachCount(_ cells: [MatrixCell]) -> [MatrixCell] {
        cells.flatMap { cell in counts.map { cell.with(count: $0) } }
    }

    /// This cell for a launch of `count` pods.
    func with(count: Int) -> MatrixCell {
        var cell = self
        cell.count = count
        return cell
    }

    /// The emulator rule this cell injects, if the fault is a wire fault.
    var rule: FaultRule? { fault.rule(operation: step.operation(count: count), times: times) }

    var testDescription: String {
        let hits = times.map { $0 == 1 ? "once" : "\($0)×" } ?? "always"
        return "N=\(count): \(fault.rawValue) at \(step.rawValue) (\(hits))\(keepOnFailure ? " --keep-on-failure" : "") → \(expected)"
    }
}

/// An emulator plus a launcher tuned so a cell takes milliseconds: emulator time ×0.001, short request timeouts, and a
/// skipping clock for retry backoff, `Retry-After` and polling (the clock records every wait it was asked for).
struct MatrixRig {
    /// What the 429 fault asks for; the skipping clock makes honouring it free.
    static let retryAfterSeconds = 2
    /// Each HTTP exchange may take this long (real time).
    static let requestTimeout: Duration = .seconds(1)
    /// The latency fault: well past `requestTimeout`.
    static let injectedLatencyMilliseconds = 1_600

    let emulator: RunningEmulator
    let clock = SkippingClock()
    let events = EventLog()

    func launcher(createRetries: Int = 4) -> RunPodLauncher {
        let retry = RetryPolicy.exponential(maxAttempts: 4, base: .milliseconds(100), cap: .seconds(1), maxTotal: .seconds(20), jitter: false)
        let client = RunPodClient(
            baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey), retryPolicy: retry, requestTimeout: Self.requestTimeout, clock: clock)
        let configuration = LauncherConfiguration(
            proxyURLTemplate: emulator.proxyURLTemplate, readyPath: "/system_stats", clock: clock, pollSchedule: .fixed(.milliseconds(50)),
            probeInterval: .milliseconds(50), probeTimeout: Self.requestTimeout,
            createRetryPolicy: .exponential(
                maxAttempts: createRetries, base: .milliseconds(100), cap: .seconds(1), maxTotal: .seconds(20), jitter: false),
            terminateTimeout: .seconds(20), cleanupDeadline: .seconds(10), credentialSource: .environment(variable: "RUNPOD_API_KEY"))
        return RunPodLauncher(client: client, configuration: configuration, ledger: nil, events: events.handler)
    }

    var alive: [EmulatorState.PodState] { get async { await emulator.state().pods.filter(\.alive) } }
    var allPods: [EmulatorState.PodState] { get async { await emulator.state().pods } }

    /// Launch IDs that more than one pod carries: a create sent twice for one pod of a launch.
    var duplicatedLaunchIDs: [String] {
        get async {
            let ids = await allPods.compactMap { $0.createRequest["env"]?[PodIdentity.launchIDKey]?.stringValue }
            return Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        }
    }
}

/// The emulator options every matrix cell starts with: an ephemeral port and time ×0.001 (a 90 s start is 90 ms).
let matrixEmulatorOptions = EmulatorOptions(port: 0, timeScale: 0.001)

/// The CLI's exit codes (Swift Testing has an `ExitStatus` of its own).
typealias LauncherExit = LauncherCLI.ExitStatus

/// Bounds how many of these suites' emulators run at once: the matrix and the hostile-input tables have a few
/// hundred cases, and Swift Testing starts them all together, which on a small machine starves every other
/// suite's emulator (their requests time out).
actor EmulatorGate {
    static let shared = EmulatorGate(limit: 6)

    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func acquire() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }  // The releaser hands its slot over.
    }

    func release() {
        if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
    }
}

/// `withEmulator`, waiting for a slot of `EmulatorGate.shared` first.
func withGatedEmulator<T: Sendable>(_ options: EmulatorOptions = matrixEmulatorOptions, _ body: (RunningEmulator) async throws -> T)
    async throws -> T
{
    await EmulatorGate.shared.acquire()
    do {
        let result = try await withEmulator(options, body)
        await EmulatorGate.shared.release()
        return result
    } catch {
        await EmulatorGate.shared.release()
        throw error
    }
}
