import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Synchronization
import TestSupport
import Testing

/// `launch(count:)` and `withPods` against the emulator: N pods through the one engine, on a skipped clock.
@Suite("several pods at once against the emulator")
struct MultiPodTests {
    /// An emulator on the launcher's skipping clock (a 90 s start takes 0.9 s of skipped time), with A40 stock to spare.
    func withWorld<T: Sendable>(
        rateLimitPerMinute: Int? = nil, events: EventLog? = nil, _ body: (RunningEmulator, RunPodLauncher, SkippingClock) async throws -> T
    ) async throws -> T {
        try await withSkippedEmulator(
            configure: { scenario in
                scenario.stock.removeAll { $0.dataCenterId == "EU-RO-1" && $0.gpuTypeId == "NVIDIA A40" }
                scenario.stock.append(StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA A40", count: 40))
                scenario.rateLimitPerMinute = rateLimitPerMinute
            }, events: events?.handler, body)
    }

    let spec = LaunchSpec(name: "batch", gpuTypeIDs: ["NVIDIA A40"])

    @Test(
        "N pods are ready, named NAME-1…N (one pod keeps its name), a launch ID each, and withPods leaves zero pods alive",
        arguments: [1, 5])
    func podsReady(count: Int) async throws {
        try await withWorld { emulator, launcher, _ in
            let names = count == 1 ? ["batch"] : (1...count).map { "batch-\($0)" }
            let seen = try await launcher.withPods(spec, count: count, options: LaunchOptions(concurrency: 3)) { launched in
                #expect(launched.pods.count == count)
                #expect(launched.pods.map(\.pod.name) == names)
                #expect(launched.failures.isEmpty)
                for ready in launched.pods {
                    #expect(ready.pod.status == .running && ready.pod.dataCenterID == "EU-RO-1")
                    #expect(ready.urls[8188] == emulator.proxyURL(podID: ready.pod.id, port: 8188))
                }
                return await alivePods(emulator).map(\.id)
            }
            #expect(Set(seen).count == count)
            let state = await emulator.state()
            let launchIDs = state.pods.compactMap { $0.createRequest["env"]?[PodIdentity.launchIDKey]?.stringValue }
            #expect(Set(launchIDs).count == count)
            #expect(state.pods.count == count)
            #expect(state.pods.allSatisfy { !$0.alive })
            // Placement is read once for every pod; one pod is watched with getPod, several by listing, never one read each.
            #expect(state.calls["getNetworkVolume"] == 1)
            #expect(state.calls["listGpuTypes"] == 1)
            if count == 1 {
                #expect(state.calls["listPods", default: 0] == 0)
            } else {
                #expect(state.calls["getPod", default: 0] == 0)
            }
        }
    }

    @Test("one pod that fails to start terminates every pod of the launch")
    func onePodFails() async throws {
        try await withWorld { emulator, launcher, _ in
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, namePrefix: "batch-3", times: 1))
            let error = try await #require(throws: LauncherError.self) {
                try await launcher.launch(spec, count: 5, options: LaunchOptions(concurrency: 5))
            }
            guard case .podFailed(_, .error, _) = error.reason else {
                Issue.record("\(error)")
                return
            }
            #expect(error.podFailures.map(\.index) == [2])
            #expect(error.leftRunning.isEmpty)
            let state = await emulator.state()
            #expect(Set(error.terminated) == Set(state.pods.map(\.id)))
            #expect(await alivePods(emulator).isEmpty)
            #expect(error.description.contains("Terminated the \(state.pods.count) pods it created"))
        }
    }

    @Test("keepOnFailure keeps only the pods that did not become ready, and terminates the ready ones")
    func keepOnFailureKeepsNotReady() async throws {
        try await withWorld { emulator, launcher, _ in
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, namePrefix: "batch-2", times: 1))
            let error = try await #require(throws: LauncherError.self) {
                try await launcher.launch(spec, count: 3, options: LaunchOptions(keepOnFailure: true, concurrency: 3))
            }
            let failedID = try #require(error.podFailures.first?.podID)
            #expect(error.podFailures.map(\.index) == [1])
            #expect(error.leftRunning.contains(failedID))
            #expect(Set(error.leftRunning + error.terminated) == Set(await emulator.state().pods.map(\.id)))
            #expect(Set(await alivePods(emulator).map(\.id)) == Set(error.leftRunning))
            #expect(error.description.contains("still running"))
            _ = await launcher.terminate(podIDs: error.leftRunning)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("the cleanup rides out RunPod's transient terminate failures past one call's retries, for one pod and for N", arguments: [1, 3])
    func cleanupRetriesTransientTerminates(count: Int) async throws {
        let events = EventLog()
        try await withWorld(events: events) { emulator, launcher, _ in
            // Each terminate call gives up after 4 attempts; 4 × count + 2 failing answers need the reaper to try again.
            await emulator.setFaults([FaultRule(operation: "deletePod", kind: .serverError(status: 503), times: 4 * count + 2)])
            let ids = try await launcher.withPods(spec, count: count) { launched in launched.podIDs }
            #expect(ids.count == count)
            #expect(await alivePods(emulator).isEmpty)
            let terminating = events.events.compactMap { if case .terminating(let podID, _) = $0 { podID } else { nil } }
            let terminated = events.events.compactMap { if case .terminated(let podID) = $0 { podID } else { nil } }
            #expect(terminating.sorted() == ids.sorted(), "one terminating event per pod")
            #expect(terminated.sorted() == ids.sorted())
        }
    }

    @Test("a create whose answer is lost is adopted, never sent twice: exactly N pods, all cleaned up")
    func lostCreateAnswer() async throws {
        try await withWorld { emulator, launcher, _ in
            await emulator.setFaults([FaultRule(operation: "createPod", kind: .dropConnectionAfterApply, times: 2)])
            let ids = try await launcher.withPods(spec, count: 4, options: LaunchOptions(concurrency: 2)) { launched in launched.podIDs }
            let state = await emulator.state()
            #expect(ids.count == 4)
            #expect(state.pods.count == 4)
            #expect(Set(state.pods.map(\.id)) == Set(ids))
            #expect(state.pods.allSatisfy { !$0.alive })
        }
    }

    @Test("with minReady below count the launch goes on without a failed pod, and terminates that one")
    func minReady() async throws {
        try await withWorld { emulator, launcher, _ in
            await emulator.addPodFailure(PodFailureRule(mode: .containerExits, namePrefix: "batch-2", times: 1))
            let launched = try await launcher.launch(spec, count: 4, options: LaunchOptions(minReady: 3))
            #expect(launched.pods.map(\.pod.name) == ["batch-1", "batch-3", "batch-4"])
            #expect(launched.failures.map(\.index) == [1])
            let failedID = try #require(launched.failures.first?.podID)
            #expect(Set(await alivePods(emulator).map(\.id)) == Set(launched.podIDs))
            #expect(await emulator.pod(id: failedID)?.status == .terminated)
            let results = await launcher.terminate(podIDs: launched.podIDs)
            #expect(results.map(\.podID) == launched.podIDs)
            #expect(results.allSatisfy { $0.error == nil && $0.isGone })
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("too few pods can still be ready: the launch stops at once and terminates all")
    func minReadyUnreachable() async throws {
        try await withWorld { emulator, launcher, _ in
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails, namePrefix: "batch-", times: 2))
            let error = try await #require(throws: LauncherError.self) {
                try await launcher.launch(spec, count: 4, options: LaunchOptions(concurrency: 4, minReady: 3))
            }
            #expect(error.podFailures.count == 2)
            #expect(error.leftRunning.isEmpty)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("cancelling a launch of N mid-way terminates every pod it created")
    func cancellation() async throws {
        let (createdThree, signal) = AsyncStream.makeStream(of: Void.self)
        let events = EventLog { event in
            if case .created(_, _, 3, _) = event { signal.yield() }
        }
        try await withWorld(events: events) { emulator, launcher, _ in
            await emulator.addPodFailure(PodFailureRule(mode: .stuckProvisioning))
            let task = Task { try await launcher.launch(spec, count: 6, options: LaunchOptions(concurrency: 2)) }
            for await _ in createdThree { break }
            task.cancel()
            let error = try await #require(throws: LauncherError.self) { try await task.value }
            #expect(error.isCancellation)
            #expect(error.kind == .interrupted)
            let state = await emulator.state()
            #expect(state.pods.count >= 3)
            #expect(Set(error.terminated) == Set(state.pods.map(\.id)))
            #expect(error.leftRunning.isEmpty)
            #expect(await alivePods(emulator).isEmpty)
            #expect(events.events.contains { if case .terminating = $0 { true } else { false } })
        }
    }

    @Test("under a tight rate limit the launch paces creates and cleanup across windows and sees no 429")
    func rateLimited() async throws {
        try await withWorld(rateLimitPerMinute: 12) { emulator, plain, clock in
            let retried429 = Mutex(0)
            let client = plain.client.observingRetries { notice in
                if notice.reason.contains("429") { retried429.withLock { $0 += 1 } }
            }
            let events = EventLog()
            let launcher = RunPodLauncher(client: client, configuration: plain.configuration, ledger: plain.ledger, events: events.handler)
            let launched = try await launcher.withPods(spec, count: 8, options: LaunchOptions(concurrency: 4)) { launched in
                #expect(await alivePods(emulator).count == 8)
                return launched
            }
            #expect(launched.pods.count == 8)
            #expect(launched.statistics.rateLimitedResponses == 0)
            #expect(retried429.withLock { $0 } == 0)
            #expect(launched.statistics.pacingWaits >= 1)
            // 2 placement reads + 8 creates + listing: more than one 12-request window, so at least one reset was awaited.
            #expect(clock.now.offset >= .seconds(60))
            #expect(events.events.contains { if case .pacing = $0 { true } else { false } })
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test(
        "invalid counts and options are refused before any request",
        arguments: [(0, 1, nil), (3, 0, nil), (3, 2, 4), (3, 2, 0)] as [(Int, Int, Int?)])
    func invalidOptions(count: Int, concurrency: Int, minReady: Int?) async throws {
        try await withWorld { emulator, launcher, _ in
            let error = try await #require(throws: LauncherError.self) {
                try await launcher.launch(spec, count: count, options: LaunchOptions(concurrency: concurrency, minReady: minReady))
            }
            guard case .invalidInput = error.reason else {
                Issue.record("\(error)")
                return
            }
            #expect(error.kind == .usage)
            #expect(await emulator.state().calls.isEmpty)
        }
    }

    @Test("pod names: one pod keeps the name as it is, several are NAME-1…NAME-N, no name stays generated")
    func podNames() {
        #expect(LaunchOptions.podName(base: "batch", index: 0, count: 1) == "batch")
        #expect((0..<3).map { LaunchOptions.podName(base: "batch", index: $0, count: 3) } == ["batch-1", "batch-2", "batch-3"])
        #expect(LaunchOptions.podName(base: nil, index: 1, count: 3) == nil)
    }
}
