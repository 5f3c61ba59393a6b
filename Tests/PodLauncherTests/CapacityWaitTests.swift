import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

@Suite("waiting for capacity, and choosing among volumes by stock")
struct CapacityWaitTests {
    static let gpu = "NVIDIA A40"
    /// Capacity tries 20 ms apart, no jitter: a wait of a few tries takes ~100 ms.
    static let quickBackoff = CapacityBackoff(schedule: .fixed(.milliseconds(20)), jitter: false)

    func capacityRetries(_ events: EventLog) -> [String] {
        events.events.compactMap { if case .retrying("capacity", _, _, let reason) = $0 { reason } else { nil } }
    }

    @Test("stock that appears during the wait is used: the pod is placed and becomes ready")
    func capacityAppears() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: Self.gpu, dataCenterID: "EU-RO-1", count: 0)
            let events = EventLog()
            let launcher = emulatorLauncher(emulator, events: events.handler)
            let options = LaunchOptions(timeout: .seconds(30), waitForCapacity: .seconds(30), capacityBackoff: Self.quickBackoff)
            let launch = Task { try await launcher.launchPod(LaunchSpec(gpuTypeIDs: [Self.gpu]), options: options) }
            // Let it fail at least twice, then put a GPU in stock.
            let waited = await eventually(timeout: .seconds(30)) { capacityRetries(events).count >= 2 }
            #expect(waited)
            await emulator.setStock(gpuTypeID: Self.gpu, dataCenterID: "EU-RO-1", count: 1)
            let ready = try await launch.value
            #expect(ready.pod.gpuTypeID == Self.gpu)
            #expect(capacityRetries(events).first?.contains("no stock for NVIDIA A40 in EU-RO-1") == true)
            #expect(await emulator.state().pods.count == 1)
            try await launcher.terminatePod(podID: ready.pod.id)
        }
    }

    @Test("a capacity wait works for N pods: placement is read again per try, and every pod is placed once stock appears")
    func capacityAppearsForSeveralPods() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: Self.gpu, dataCenterID: "EU-RO-1", count: 0)
            let events = EventLog()
            let launcher = emulatorLauncher(emulator, events: events.handler)
            let options = LaunchOptions(timeout: .seconds(30), waitForCapacity: .seconds(30), capacityBackoff: Self.quickBackoff)
            let launch = Task { try await launcher.launch(LaunchSpec(name: "wait", gpuTypeIDs: [Self.gpu]), count: 3, options: options) }
            #expect(await eventually(timeout: .seconds(30)) { capacityRetries(events).count >= 2 })
            let catalogReads = await emulator.state().calls["listGpuTypes", default: 0]
            #expect(catalogReads >= 2, "placement is read again on each try")
            await emulator.setStock(gpuTypeID: Self.gpu, dataCenterID: "EU-RO-1", count: 3)
            let launched = try await launch.value
            #expect(launched.pods.map(\.pod.name) == ["wait-1", "wait-2", "wait-3"])
            #expect(await emulator.state().pods.count == 3)
            _ = await launcher.terminate(podIDs: launched.podIDs)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("a wait that runs out gives noCapacity with how long it waited; nothing was created")
    func waitRunsOut() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: Self.gpu, dataCenterID: "EU-RO-1", count: 0)
            let options = LaunchOptions(waitForCapacity: .milliseconds(150), capacityBackoff: Self.quickBackoff)
            let error = try await #require(throws: LauncherError.self) {
                try await emulatorLauncher(emulator).createPod(LaunchSpec(gpuTypeIDs: [Self.gpu]), options: options)
            }
            guard case .noCapacity("EU-RO-1"?, _, _, let waited?) = error.reason else {
                Issue.record("not a capacity wait that ran out: \(error)")
                return
            }
            #expect(waited.0 >= .milliseconds(150))
            #expect(waited.tries >= 1)  // Under load one try can outlast the whole wait; the retries are tested above.
            #expect(error.kind == .noCapacity)
            #expect(error.description.contains("No capacity in EU-RO-1"))
            #expect(error.description.contains("Waited"))
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("cancelling during the wait ends it at once and leaves nothing")
    func cancelDuringWait() async throws {
        try await withEmulator { emulator in
            await emulator.setStock(gpuTypeID: Self.gpu, dataCenterID: "EU-RO-1", count: 0)
            let events = EventLog()
            let launcher = emulatorLauncher(emulator, events: events.handler)
            let options = LaunchOptions(waitForCapacity: .seconds(600), capacityBackoff: CapacityBackoff(schedule: .fixed(.seconds(30))))
            let launch = Task { try await launcher.launchPod(LaunchSpec(gpuTypeIDs: [Self.gpu]), options: options) }
            #expect(await eventually(timeout: .seconds(30)) { !capacityRetries(events).isEmpty })
            let started = ContinuousClock.now
            launch.cancel()
            let error = await #expect(throws: (any Error).self) { try await launch.value }
            #expect(error is CancellationError || (error as? LauncherError)?.isCancellation == true, "\(String(describing: error))")
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("the backoff grows to its cap, jitters within [½, 1], and never undercuts a low rate-limit budget")
    func backoff() {
        let schedule = PollSchedule(initial: .seconds(5), multiplier: 2, maximum: .seconds(60))
        let plain = CapacityBackoff(schedule: schedule, jitter: false)
        #expect((1...6).map { plain.delay(afterTry: $0, rateLimit: nil) } == [5, 10, 20, 40, 60, 60].map { Duration.seconds($0) })
        let jittered = CapacityBackoff(schedule: schedule, jitter: true)
        for _ in 0..<50 {
            let delay = jittered.delay(afterTry: 3, rateLimit: nil)
            #expect(delay >= .seconds(10) && delay <= .seconds(20))
        }
        let low = RateLimitStatus(windows: [.init(name: "default", remaining: 0, resetsIn: .seconds(45), quota: 60)])
        #expect(jittered.delay(afterTry: 1, rateLimit: low) >= .seconds(45))
    }

    @Test("with volumes in two data centers, the one whose data center has the GPU in stock is used")
    func volumeChosenByStock() async throws {
        try await withEmulator { emulator in
            let h100 = "NVIDIA H100 80GB HBM3"
            await emulator.setStock(gpuTypeID: h100, dataCenterID: "EU-RO-1", count: 0)
            let launcher = emulatorLauncher(emulator)
            let choice = try await launcher.chooseNetworkVolume(["rp-vol-comfyui01", "rp-vol-datasets02"], for: LaunchSpec(gpuTypeIDs: [h100]))
            #expect(choice == VolumeChoice(volumeID: "rp-vol-datasets02", dataCenterID: "US-KS-2", gpuTypeID: h100))

            let options = LaunchOptions(networkVolumeIDs: ["rp-vol-comfyui01", "rp-vol-datasets02"])
            let pod = try await launcher.createPod(LaunchSpec(gpuTypeIDs: [h100]), options: options)
            #expect(pod.dataCenterID == "US-KS-2")
            #expect(pod.networkVolumeID == "rp-vol-datasets02")
            try await launcher.terminatePod(podID: pod.id)
        }
    }

    @Test("GPU priority comes before volume order; an unknown volume is notFound")
    func volumePriorityAndUnknown() async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator)
            // A40 (first choice) is only in EU-RO-1's stock among the two; 4090 is in both.
            let spec = LaunchSpec(gpuTypeIDs: ["NVIDIA A40", "NVIDIA GeForce RTX 4090"])
            let choice = try await launcher.chooseNetworkVolume(["rp-vol-datasets02", "rp-vol-comfyui01"], for: spec)
            #expect(choice.volumeID == "rp-vol-comfyui01")
            #expect(choice.gpuTypeID == "NVIDIA A40")
            await #expect(throws: LauncherError.self) { try await launcher.chooseNetworkVolume(["rp-vol-comfyui01", "nope"], for: spec) }
        }
    }
}
