import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

/// The launcher against the in-process emulator, with time scaled down (a 90 s start takes ~90 ms).
@Suite("launcher against the emulator")
struct EmulatorIntegrationTests {
    func launcher(_ emulator: RunningEmulator, events: EventLog = EventLog(), probeApp: Bool = true) -> RunPodLauncher {
        emulatorLauncher(emulator, probeApp: probeApp, events: events.handler)
    }

    @Test("the pod lands in the volume's data center, becomes ready through the proxy, and is terminated")
    func fullLifecycle() async throws {
        try await withEmulator { emulator in
            let events = EventLog()
            let launcher = launcher(emulator, events: events)
            let ready = try await launcher.launchPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), options: LaunchOptions(timeout: .seconds(30)))
            #expect(ready.pod.dataCenterID == "EU-RO-1")
            #expect(ready.pod.gpuTypeID == "NVIDIA A40")
            #expect(ready.pod.networkVolumeID == Defaults.networkVolumeID)
            #expect(ready.urls[8188] == emulator.proxyURL(podID: ready.pod.id, port: 8188))
            let record = try #require(await emulator.state().pods.first { $0.id == ready.pod.id })
            #expect(record.dataCenterId == "EU-RO-1" && record.networkVolumeId == Defaults.networkVolumeID && record.cloud == "SECURE")
            #expect(record.appReady)
            let seen = events.events.compactMap { if case .statusChanged(_, _, let to, _) = $0 { to } else { nil } }
            #expect(seen.last == .running)
            #expect(events.events.contains { if case .appAnswered(_, 8188, 200, _) = $0 { true } else { false } })

            try await launcher.terminatePod(podID: ready.pod.id)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("no stock in the volume's data center: noCapacity names it and what is there")
    func noCapacity() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: "NVIDIA GeForce RTX 4090", dataCenterID: "EU-RO-1", count: 0)
            await emulator.setStock(gpuTypeID: "NVIDIA A40", dataCenterID: "EU-RO-1", count: 0)
            let error = try await #require(throws: LauncherError.self) {
                try await launcher(emulator).createPod(LaunchSpec(gpuTypeIDs: ["NVIDIA GeForce RTX 4090", "NVIDIA A40"]))
            }
            guard case .noCapacity("EU-RO-1"?, let tried, let available, nil) = error.reason else {
                Issue.record("\(error)")
                return
            }
            #expect(tried.map(\.candidate.gpuTypeID) == ["NVIDIA GeForce RTX 4090", "NVIDIA A40"])
            #expect(available.contains("NVIDIA L40S") && !available.contains("NVIDIA A40"))
            #expect(error.description.contains("No capacity in EU-RO-1"))
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("a pod whose image fails is reported as ERROR and cleaned up")
    func imagePullFails() async throws {
        try await withEmulator { emulator in
            await emulator.addPodFailure(PodFailureRule(mode: .imagePullFails))
            let error = try await #require(throws: LauncherError.self) {
                try await launcher(emulator).launchPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), options: LaunchOptions(timeout: .seconds(30)))
            }
            guard case .podFailed(let podID, .error, _) = error.reason else {
                Issue.record("\(error)")
                return
            }
            #expect(error.terminated == [podID] && error.leftRunning.isEmpty)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("an app that never answers times out waiting for its port, and the pod is terminated")
    func appNeverAnswers() async throws {
        // On the skipping clock: the pod is RUNNING long before the 30 s timeout however loaded the machine is.
        try await withSkippedEmulator { emulator, launcher, _ in
            await emulator.addPodFailure(PodFailureRule(mode: .appNeverAnswers))
            let error = try await #require(throws: LauncherError.self) {
                try await launcher.launchPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), options: LaunchOptions(timeout: .seconds(30)))
            }
            guard case .timedOut(let podID, _, .running?, let waitingFor) = error.reason else {
                Issue.record("\(error)")
                return
            }
            #expect(error.terminated == [podID] && error.leftRunning.isEmpty)
            #expect(waitingFor.contains("app port 8188"))
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("terminating an unknown pod is notFound")
    func terminateUnknown() async throws {
        try await withEmulator { emulator in
            let error = try await #require(throws: LauncherError.self) { try await launcher(emulator).terminatePod(podID: "nope123") }
            guard case .notFound("pod", "nope123") = error.reason else {
                Issue.record("\(error)")
                return
            }
        }
    }

    @Test("withPod terminates when the body throws, and when the task is cancelled")
    func withPodCleansUp() async throws {
        try await withEmulator { emulator in
            let launcher = launcher(emulator)
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await launcher.withPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), options: LaunchOptions(timeout: .seconds(30))) { _ in
                    throw Boom()
                }
            }
            #expect(await alivePods(emulator).isEmpty)

            let started = AsyncStream<Void>.makeStream()
            let task = Task {
                try await launcher.withPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), options: LaunchOptions(timeout: .seconds(30))) { _ in
                    started.continuation.yield()
                    try await Task.sleep(for: .seconds(600))
                }
            }
            var iterator = started.stream.makeAsyncIterator()
            await iterator.next()
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(await alivePods(emulator).isEmpty)
            #expect(await emulator.state().pods.count == 2)
        }
    }

    @Test("a create whose connection drops after RunPod applied it yields exactly one pod")
    func droppedCreateAdopted() async throws {
        try await withEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "createPod", kind: .dropConnectionAfterApply, times: 1)])
            let pod = try await launcher(emulator).createPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]))
            let pods = await emulator.state().pods
            #expect(pods.count == 1)
            #expect(pods.first?.id == pod.id)
            try await launcher(emulator).terminatePod(podID: pod.id)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test(
        "HTML 502s and truncated answers on reads are ridden out",
        arguments: [
            FaultKind.serverError(status: 502, htmlBody: "<html><body>Bad gateway</body></html>"), .truncatedJSON, .rateLimited(retryAfterSeconds: 0),
        ])
    func transientReadFaults(kind: FaultKind) async throws {
        try await withEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "getPod", kind: kind, times: 2)])
            let launcher = launcher(emulator)
            let ready = try await launcher.launchPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), options: LaunchOptions(timeout: .seconds(30)))
            try await launcher.terminatePod(podID: ready.pod.id)
            #expect(await alivePods(emulator).isEmpty)
            #expect(await emulator.state().pods.count == 1)
        }
    }

    @Test("a wrong key is an authentication error naming the key's source")
    func wrongKey() async throws {
        try await withEmulator { emulator in
            let client = RunPodClient(baseURL: emulator.baseURL, apiKey: APIKey("rpa_WRONG_KEY_123"))
            let launcher = RunPodLauncher(client: client, configuration: LauncherConfiguration(credentialSource: .flag), ledger: nil)
            let error = try await #require(throws: LauncherError.self) { try await launcher.createPod(LaunchSpec()) }
            guard case .unauthorized = error.reason else {
                Issue.record("\(error)")
                return
            }
            #expect(error.description.contains("--api-key") && !error.description.contains("rpa_WRONG_KEY_123"))
        }
    }
}
