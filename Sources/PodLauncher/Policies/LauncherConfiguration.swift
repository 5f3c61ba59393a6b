import Foundation
import RunPodAPI

/// How the launcher paces itself and reaches app ports.
public struct LauncherConfiguration: Sendable {
    /// `{podId}` and `{port}` are replaced; RunPod's is `https://{podId}-{port}.proxy.runpod.net`.
    public var proxyURLTemplate: String
    /// HTTP path probed on the app port.
    public var readyPath: String
    /// False skips the app-port probe: ready means RUNNING with ports.
    public var probeApp: Bool
    /// Time source for polling and backoff; tests pass a faster one.
    public var clock: any Clock<Duration>
    /// How often the pod is read while waiting (costs API budget).
    public var pollSchedule: PollSchedule
    /// How often the app port is probed while waiting, from the first read of the pod on (through the proxy: no API
    /// budget). Half of it is the typical delay between the app answering and the launcher reporting ready.
    public var probeInterval: Duration
    /// At most this many reads of the pods' status a minute while waiting, counting the reads that confirm an app that
    /// answered before its pod showed RUNNING (the schedule's own reads stay well under it).
    public var readBudgetPerMinute: Int
    /// Longest time one probe may take.
    public var probeTimeout: Duration
    /// The HTTP seam for probes (no API key is ever sent on it).
    public var probeTransport: any HTTPTransport
    /// Retries of one placement candidate after 429 or 5xx from `createPod`.
    public var createRetryPolicy: RetryPolicy
    /// How long `terminatePod` reads back before giving up on RunPod's confirmation.
    public var terminateTimeout: Duration
    /// The deadline of the cleanup that runs after a failure or cancellation (terminate + confirm).
    public var cleanupDeadline: Duration
    /// Where the API key came from, so an authentication error can say which key to check.
    public var credentialSource: CredentialSource?

    /// Creates a configuration. Every parameter has the production default.
    public init(
        proxyURLTemplate: String = Defaults.proxyURLTemplate, readyPath: String = Defaults.readyPath, probeApp: Bool = true,
        clock: any Clock<Duration> = ContinuousClock(), pollSchedule: PollSchedule = .standard, probeInterval: Duration = .milliseconds(250),
        readBudgetPerMinute: Int = 20, probeTimeout: Duration = .seconds(5), probeTransport: any HTTPTransport = AsyncHTTPClientTransport(),
        createRetryPolicy: RetryPolicy = .exponential(maxAttempts: 4, base: .seconds(1), cap: .seconds(15), maxTotal: .seconds(120)),
        terminateTimeout: Duration = .seconds(60), cleanupDeadline: Duration = .seconds(90), credentialSource: CredentialSource? = nil
    ) {
        self.proxyURLTemplate = proxyURLTemplate
        self.readyPath = readyPath
        self.probeApp = probeApp
        self.clock = clock
        self.pollSchedule = pollSchedule
        self.probeInterval = probeInterval
        self.readBudgetPerMinute = readBudgetPerMinute
        self.probeTimeout = probeTimeout
        self.probeTransport = probeTransport
        self.createRetryPolicy = createRetryPolicy
        self.terminateTimeout = terminateTimeout
        self.cleanupDeadline = cleanupDeadline
        self.credentialSource = credentialSource
    }

    /// The proxy URL of a pod's port (no path).
    public func proxyURL(podID: String, port: Int, path: String = "") -> URL? {
        var base = proxyURLTemplate.replacingOccurrences(of: "{podId}", with: podID).replacingOccurrences(of: "{port}", with: String(port))
        while base.hasSuffix("/") { base.removeLast() }
        guard !path.isEmpty else { return URL(string: base) }
        return URL(string: base + (path.hasPrefix("/") ? path : "/" + path))
    }
}
