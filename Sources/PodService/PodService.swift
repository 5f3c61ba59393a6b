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
        logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        context = ServiceContext(store: store, intake: intake, token: token, metrics: metrics)
        reconciler = Reconciler(store: store, launcher: launcher, settings: options.reconciler, metrics: metrics, logger: logger)
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
        let ticking = Task { await reconciler.run() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            // On SIGTERM: answer 503, end the long-polls and event streams (so the server's own graceful shutdown is
            // not held by them), stop ticking and let the writes in flight finish.
            try? await gracefulShutdown()
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
