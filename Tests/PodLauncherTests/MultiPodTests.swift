import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Synchronization
import TestSupport
import Testing

/// The emulator's "now" driven by the launcher's skipping clock: time passes only when the launcher sleeps, so pod
/// start-up and rate-limit windows (60 s) run in microseconds yet stay in step with the launcher's pacing.
struct SkippedEmulatorClock: EmulatorClock {
    let clock: SkippingClock
    let start = Date(timeIntervalSince1970: 1_790_000_000)
    var now: Date {
        let offset = clock.now.offset.components
        return start.addingTimeInterval(Double(offset.seconds) + Double(offset.attoseconds) / 1e18)
    }
}

/// Collects fleet events from any task.
final class FleetEventLog: Sendable {
    private let storage = Mutex<[FleetEvent]>([])
    private let onEvent: @Sendable (FleetEvent) -> Void

    init(onEvent: @escaping @Sendable (FleetEvent) -> Void = { _ in }) { self.onEvent = onEvent }

    var handler: @Sendable (FleetEvent) -> Void {
        { event in
            self.storage.withLock { $0.append(event) }
            self.onEvent(event)
        }
    }

    var events: [FleetEvent] { storage.withLock { $0 } }
}

@Suite("fleets against the emulator")
struct FleetTests {
    /// An emulator on the launcher's skipping clock (a 90 s start takes 0.9 s of skipped time), with A40 stock to spare.
    func withFleetWorld<T: Sendable>(
        rateLimitPerMinute: Int? = nil, _ body: (RunningEmulator, RunPodLauncher, SkippingClock) async throws -> T
    ) async throws -> T {
        let clock = SkippingClock()
        var scenario = Scenario()
        scenario.stock.removeAll { $0.dataCenterId == "EU-RO-1" && $0.gpuTypeId == "NVIDIA A40" }
        scenario.stock.append(StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA A40", count: 40))
        scenario.rateLimitPerMinute = rateLimitPerMinute
        let options = EmulatorOptions(port: 0, scenario: scenario, timeScale: 0.01, clock: SkippedEmulatorClock(clock: clock))
        return try await withEmulator(options) { emulator in
            let client = RunPodClient(
                baseURL: emulator.baseURL, apiKey: APIKey(emulator.apiKey),
                retryPolicy: .exponential(maxAttempts: 4, base: .milliseconds(200), cap: .seconds(2), maxTotal: .seconds(120), jitter: false),
                requestTimeout: .seconds(5), clock: clock)
            let configuration = LauncherConfiguration(
                proxyURLTemplate: emulator.proxyURLTemplate, readyPath: "/system_stats", clock: clock, pollSchedule: .fixed(.milliseconds(500)),
                probeInterval: .milliseconds(250), probeTimeout: .seconds(2),
                createRetryPolicy: .exponential(maxAttempts: 4, base: .milliseconds(200), cap: .seconds(2), maxTotal: .seconds(30), jitter: false),
                terminateTimeout: .seconds(60), cleanupDeadline: .seconds(30))
            return try await body(emulator, RunPodLauncher(client: client, configuration: configuration, ledger: scratchLedger()), clock)
        }
    }

    func alive(_ emulator: RunningEmulator) async -> [EmulatorState.PodState] {
        await emulator.state().pods.filter(\.alive)
    }

    let spec = LaunchSpec(name: "batch", gpuTypeIDs: ["NVIDIA A40"])

    @Test("a fleet of N is ready with names NAME-1…N and a launch ID each, and withFleet leaves zero pods alive", arguments: [1, 5])
    func fleetReady(count: Int) async throws {
        try await withFleetWorld { emulator, launcher, _ in
            let seen = try await launcher.withFleet(spec, options: FleetOptions(count: count, concurrency: 3)) { fleet in
                #expect(fleet.pods.count == count)
                #expect(fleet.pods.map(\.pod.name) == (1...count).map { "batch-\($0)" })
                #expect(fleet.failures.isEmpty)
                for ready in fleet.pods {
                    #expect(ready.pod.status == .running && ready.pod.dataCenterID == "EU-RO-1")
                    #expect(ready.urls[8188] == emulator.proxyURL(podID: ready.pod.id, port: 8188))
                }
                return await alive(emulator).map(\.id)
            }
            #expect(Set(seen).count == count)
            let state = await emulator.state()
            let launchIDs = state.pods.compactMap { $0.createRequest["env"]?[PodIdentity.launchIDKey]?.stringValue }
            #expect(Set(launchIDs).count == count)
            #expect(state.pods.count == count)
            #expect(state.pods.allSatisfy { !$0.alive })
            // Placement is read once for the whole fleet, and pods are watched by listing, not one read each.
            #expect(state.calls["getNetworkVolume"] == 1)
            #expect(state.calls["listGpuTypes"] == 1)
            #expect(state.calls["getPod", default: 0] == 0)
        }
    }

    @Test("one pod that fails to start terminates every pod of the fleet")
    func onePodFails() async throws {
        try await withFleetWorld { emulator, launcher, _ in
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, namePrefix: "batch-3", times: 1))
            let failure = try await #require(throws: FleetFailure.self) {
                try await launcher.launchFleet(spec, options: FleetOptions(count: 5, concurrency: 5))
            }
            guard case .podFailed(_, .error, _)? = failure.launcherError else {
                Issue.record("\(failure)")
                return
            }
            #expect(failure.failures.map(\.index) == [2])
            #expect(failure.leftRunning.isEmpty)
            let state = await emulator.state()
            #expect(Set(failure.terminated) == Set(state.pods.map(\.id)))
            #expect(await alive(emulator).isEmpty)
            #expect(failure.description.contains("Terminated \(state.pods.count) pod"))
        }
    }

    @Test("a create whose answer is lost is adopted, never sent twice: exactly N pods, all cleaned up")
    func lostCreateAnswer() async throws {
        try await withFleetWorld { emulator, launcher, _ in
            await emulator.setFaults([FaultRule(operation: "createPod", kind: .dropConnectionAfterApply, times: 2)])
            let ids = try await launcher.withFleet(spec, options: FleetOptions(count: 4, concurrency: 2)) { fleet in fleet.podIDs }
            let state = await emulator.state()
            #expect(ids.count == 4)
            #expect(state.pods.count == 4)
            #expect(Set(state.pods.map(\.id)) == Set(ids))
            #expect(state.pods.allSatisfy { !$0.alive })
        }
    }

    @Test("with minReady below count the fleet goes on without a failed pod, and terminates that one")
    func minReady() async throws {
        try await withFleetWorld { emulator, launcher, _ in
            await emulator.addPodFailure(PodFailureRule(mode: .containerExits, namePrefix: "batch-2", times: 1))
            let fleet = try await launcher.launchFleet(spec, options: FleetOptions(count: 4, minReady: 3))
            #expect(fleet.pods.map(\.pod.name) == ["batch-1", "batch-3", "batch-4"])
            #expect(fleet.failures.map(\.index) == [1])
            let failedID = try #require(fleet.failures.first?.podID)
            #expect(Set(await alive(emulator).map(\.id)) == Set(fleet.podIDs))
            #expect(await emulator.pod(id: failedID)?.status == .terminated)
            let results = await launcher.terminatePods(fleet.podIDs)
            #expect(results.allSatisfy { $0.error == nil })
            #expect(await alive(emulator).isEmpty)
        }
    }

    @Test("too few pods can still be ready: the fleet stops at once and terminates all")
    func minReadyUnreachable() async throws {
        try await withFleetWorld { emulator, launcher, _ in
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, namePrefix: "batch-", times: 2))
            let failure = try await #require(throws: FleetFailure.self) {
                try await launcher.launchFleet(spec, options: FleetOptions(count: 4, concurrency: 4, minReady: 3))
            }
            #expect(failure.failures.count == 2)
            #expect(await alive(emulator).isEmpty)
        }
    }

    @Test("cancelling a fleet mid-launch terminates every pod it created")
    func cancellation() async throws {
        try await withFleetWorld { emulator, launcher, _ in
            await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            let (createdThree, signal) = AsyncStream.makeStream(of: Void.self)
            let events = FleetEventLog { event in
                if case .created(_, _, 3, _) = event { signal.yield() }
            }
            let task = Task { try await launcher.launchFleet(spec, options: FleetOptions(count: 6, concurrency: 2), events: events.handler) }
            for await _ in createdThree { break }
            task.cancel()
            let failure = try await #require(throws: FleetFailure.self) { try await task.value }
            #expect(failure.isCancellation)
            let state = await emulator.state()
            #expect(state.pods.count >= 3)
            #expect(Set(failure.terminated) == Set(state.pods.map(\.id)))
            #expect(await alive(emulator).isEmpty)
            #expect(events.events.contains { if case .terminating = $0 { true } else { false } })
        }
    }

    @Test("under a tight rate limit the fleet paces launch and cleanup across windows and sees no 429")
    func rateLimited() async throws {
        try await withFleetWorld(rateLimitPerMinute: 12) { emulator, plain, clock in
            let retried429 = Mutex(0)
            let client = plain.client.observingRetries { notice in
                if notice.reason.contains("429") { retried429.withLock { $0 += 1 } }
            }
            let launcher = RunPodLauncher(client: client, configuration: plain.configuration, ledger: plain.ledger)
            let events = FleetEventLog()
            let fleet = try await launcher.withFleet(spec, options: FleetOptions(count: 8, concurrency: 4), events: events.handler) { fleet in
                #expect(await alive(emulator).count == 8)
                return fleet
            }
            #expect(fleet.pods.count == 8)
            #expect(fleet.statistics.rateLimitedResponses == 0)
            #expect(retried429.withLock { $0 } == 0)
            #expect(fleet.statistics.pacingWaits >= 1)
            // 2 placement reads + 8 creates + listing: more than one 12-request window, so at least one reset was awaited.
            #expect(clock.now.offset >= .seconds(60))
            #expect(events.events.contains { if case .pacing = $0 { true } else { false } })
            #expect(await alive(emulator).isEmpty)
        }
    }

    @Test("invalid fleet options are refused before any request", arguments: [(0, 1, nil), (3, 0, nil), (3, 2, 4), (3, 2, 0)] as [(Int, Int, Int?)])
    func invalidOptions(count: Int, concurrency: Int, minReady: Int?) async throws {
        try await withFleetWorld { emulator, launcher, _ in
            let failure = try await #require(throws: FleetFailure.self) {
                try await launcher.launchFleet(spec, options: FleetOptions(count: count, concurrency: concurrency, minReady: minReady))
            }
            guard case .invalidInput? = failure.launcherError else {
                Issue.record("\(failure)")
                return
            }
            #expect(await emulator.state().calls.isEmpty)
        }
    }
}
