import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Well-known values of the emulator.
public enum EmulatorDefaults {
    /// The key the emulator accepts unless told otherwise. Not a secret: it only opens the local emulator.
    public static let apiKey = "rpa_EMULATOR_DEV_KEY_DO_NOT_USE_IN_PRODUCTION"
}

/// How to run an emulator.
public struct EmulatorOptions: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on; 0 picks a free one.
    public var port: Int
    /// Keys accepted as `Authorization: Bearer KEY` (the scenario can add restricted ones).
    public var apiKeys: [String]
    /// The world and its behaviour.
    public var scenario: Scenario
    /// Multiplies every scenario delay: 1 is RunPod's pace, 0.001 makes a 90-second start take 90 ms.
    public var timeScale: Double
    /// Source of "now" for pod lifecycles and rate-limit windows.
    public var clock: any EmulatorClock

    /// Creates options; the defaults are the demo world on port 8700 at RunPod's pace.
    public init(
        host: String = "127.0.0.1", port: Int = 8700, apiKeys: [String] = [EmulatorDefaults.apiKey],
        scenario: Scenario = .default, timeScale: Double = 1.0, clock: any EmulatorClock = SystemEmulatorClock()
    ) {
        self.host = host
        self.port = port
        self.apiKeys = apiKeys
        self.scenario = scenario
        self.timeScale = timeScale
        self.clock = clock
    }
}

/// Builds the emulator's Hummingbird application: REST v2 under `/v2`, GraphQL at `/graphql`, the app proxy under
/// `/proxy`, and the inspection endpoints under `/_emulator`.
func buildApplication(
    core: EmulatorCore, options: EmulatorOptions, logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = Router(context: EmulatorRequestContext.self)
    // RunPod's edge comes first: 413, then 401 on every /v2 path, then problem+json 404/405 for what no route serves.
    router.add(middleware: RESTGate(core: core))
    let rest = RESTRouter(router: router, core: core)
    addPodRoutes(to: rest)
    addLogRoutes(to: rest)
    addCatalogRoutes(to: rest)
    addCPUCatalogRoutes(to: rest)
    addDataCenterRoutes(to: rest)
    addVolumeRoutes(to: rest)
    addSSHKeyRoutes(to: rest)
    addTemplateRoutes(to: rest)
    addRegistryRoutes(to: rest)
    addClusterRoutes(to: rest)
    addBillingRoutes(to: rest)
    addServerlessRoutes(to: rest)
    addProxyRoutes(to: router, core: core)
    addInspectionRoutes(to: router, core: core)
    // GraphQL answers through the same fault injection as REST, counted once as "graphql:<root field>".
    try GraphQLRoutes.register(on: router, core: core)
    return Application(
        router: router,
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "RunPodEmulator"),
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// Starts an emulator on an ephemeral loopback port, runs `body` against it, then shuts it down gracefully.
///
/// ```swift
/// try await withEmulator { emulator in
///     // emulator.baseURL, emulator.apiKey, emulator.state()
/// }
/// ```
public func withEmulator<T: Sendable>(
    _ options: EmulatorOptions = .init(port: 0, timeScale: 0.001),
    logger: Logger = Logger(label: "RunPodEmulator", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: (RunningEmulator) async throws -> T
) async throws -> T {
    let core = EmulatorCore(options: options, logger: logger)
    let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = try buildApplication(core: core, options: options, logger: logger) { channel in
        portContinuation.yield(channel.localAddress?.port ?? options.port)
        portContinuation.finish()
    }
    let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var ports = portStream.makeAsyncIterator()
        guard let port = await ports.next() else {
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            throw EmulatorStartError()
        }
        let running = RunningEmulator(core: core, host: options.host, port: port, apiKey: options.apiKeys.first ?? EmulatorDefaults.apiKey)
        do {
            let value = try await body(running)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// Runs an emulator until SIGINT or SIGTERM, calling `onStarted` once it listens (with the real port when `port` is 0).
public func runEmulator(
    _ options: EmulatorOptions, logger: Logger, onStarted: @escaping @Sendable (RunningEmulator) async -> Void
) async throws {
    let core = EmulatorCore(options: options, logger: logger)
    let app = try buildApplication(core: core, options: options, logger: logger) { channel in
        let port = channel.localAddress?.port ?? options.port
        await onStarted(RunningEmulator(core: core, host: options.host, port: port, apiKey: options.apiKeys.first ?? EmulatorDefaults.apiKey))
    }
    let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}

/// The emulator never reported a listening port.
struct EmulatorStartError: Error, CustomStringConvertible {
    var description: String { "the emulator did not start listening" }
}
