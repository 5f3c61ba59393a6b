import Foundation
import Hummingbird
import Logging
import NIOCore
import PodLauncher
import ServiceLifecycle

/// `runpod-launcher serve`, assembled: the store, the reconciler and the HTTP API, run as one ServiceLifecycle
/// service. On shutdown (SIGTERM/SIGINT) it answers 503, stops ticking, lets the writes in flight finish (at most a
/// few seconds), and leaves the pods as they are (the next start picks them up) unless `terminateOnExit`.
public struct PodService: Service {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var reconciler: ReconcilerSettings
        /// Terminate every live launch's pod before exiting (each launch ends `terminated`).
        public var terminateOnExit: Bool
        /// How long the shutdown may wait for that.
        public var terminateGrace: Duration
        /// Pools declared in profiles.toml (`[pools.NAME]`): written to the database at each start.
        public var pools: [PoolSettings] = []
        /// Malloc's arenas and when the heap is trimmed (process-wide; see `MemoryPolicy`).
        public var memory: MemoryPolicy = .compact

        public init(
            host: String = "127.0.0.1", port: Int = 8780, reconciler: ReconcilerSettings = .init(), terminateOnExit: Bool = false,
            terminateGrace: Duration = .seconds(60)
        ) {
            self.host = host
            self.port = port
            self.reconciler = reconciler
            self.terminateOnExit = terminateOnExit
            self.terminateGrace = terminateGrace
        }
    }

    public let context: ServiceContext
    public let reconciler: Reconciler
    let options: Options
    let logger: Logger
    let onListening: @Sendable (Int) async -> Void

    public init(
        store: LaunchStore, launcher: RunPodLauncher, intake: LaunchIntake, token: ServiceToken, metrics: ServiceMetrics, options: Options,
        leadership: Leadership = .sole, logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        let pools = PoolRuntime()
        context = ServiceContext(store: store, intake: intake, token: token, metrics: metrics, pools: pools, leadership: leadership, now: now)
        reconciler = Reconciler(
            store: store, launcher: launcher, settings: options.reconciler, metrics: metrics, logger: logger, now: now, pools: (intake, pools),
            leadership: leadership, onQuiet: options.memory.onQuiet)
        self.options = options
        self.logger = logger
        self.onListening = onListening
    }

    /// The Hummingbird application serving the API.
    public func application() -> some ApplicationProtocol {
        let onListening = self.onListening
        return Application(
            router: ServiceAPI.router(context),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "runpod-launcher"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    public func run() async throws {
        let app = application()
        let reconciler = self.reconciler
        let context = self.context
        let options = self.options
        let logger = self.logger
        options.memory.apply()
        for pool in options.pools { try await context.store.putPool(pool, origin: "config") }
        let leading = Task { await context.leadership.run() }
        // The heartbeat of this replica's waiting lease requests (a dead replica's stop counting within seconds).
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await context.store.refreshLeaseRequests()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        let ticking = Task { await reconciler.run() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            // On SIGTERM: answer 503, end the long-polls and event streams (so the server's own graceful shutdown is
            // not held by them), stop ticking and let the writes in flight finish.
            do {
                try await gracefulShutdown()
                logger.notice("shutting down: answering 503, finishing the writes in flight")
            } catch {
                logger.notice("shutting down (cancelled): answering 503, finishing the writes in flight")
            }
            context.draining.begin()
            context.store.changes.finish()
            ticking.cancel()
            await ticking.value
            if options.terminateOnExit {
                logger.notice("terminating every live launch before exit (--terminate-on-exit)")
                await Self.terminateAll(context.store, reconciler: reconciler, within: options.terminateGrace)
            }
            try await group.waitForAll()
        }
        ticking.cancel()
        heartbeat.cancel()
        leading.cancel()
        await leading.value
        await context.store.close()
    }

    /// Moves every live launch to `terminating` and ticks until none is left (or `within` passes).
    static func terminateAll(_ store: LaunchStore, reconciler: Reconciler, within: Duration) async {
        let deadline = ContinuousClock.now + within
        for launch in (try? await store.liveLaunches()) ?? [] where launch.state != .terminating {
            var next = launch
            next.state = .terminating
            _ = try? await store.update(next)
        }
        while ContinuousClock.now < deadline {
            await reconciler.tick()
            await reconciler.drain()
            if ((try? await store.liveLaunches()) ?? []).isEmpty { return }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}

extension PodService {
    /// Runs a service until `body` returns, then shuts it down as SIGTERM would: `make` builds it with the listening
    /// callback it is given, and `body` gets the port it listens on (the demo and the tests run it this way).
    public static func withRunning<T: Sendable>(
        logger: Logger, make: (@escaping @Sendable (Int) async -> Void) -> PodService, _ body: (Int) async throws -> T
    ) async throws -> T {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let service = make { port in
            portSink.yield(port)
            portSink.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                throw ServiceStartError()
            }
            do {
                let value = try await body(port)
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
}

/// The service never reported a listening port.
public struct ServiceStartError: Error, CustomStringConvertible {
    public var description: String { "the service did not start listening" }
}
