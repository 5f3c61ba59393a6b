import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

@Suite("cost: rate × time from creation to terminate")
struct CostTests {
    @Test("terminate reports the cost from the emulator's clock: 2 h of an A40 at $0.40/h is $0.80")
    func costAtTerminateFromEmulatorClock() async throws {
        let clock = ManualEmulatorClock()
        try await withEmulator(EmulatorOptions(port: 0, timeScale: 0.001, clock: clock)) { emulator in
            let launcher = emulatorLauncher(emulator)
            let pod = try await launcher.createPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]))
            #expect(pod.costPerHour == 0.40)
            #expect(pod.createdAt == clock.now)
            clock.advance(by: .seconds(2 * 3600))
            let cost = try #require(try await launcher.terminatePodMeasuringCost(podID: pod.id, now: { clock.now }))
            #expect(cost.duration == .seconds(7200))
            #expect(abs(cost.total - 0.80) < 1e-9)
            #expect(cost.summary == "ran 2h at $0.400/h ≈ $0.80")
            let record = try #require(await emulator.pod(id: pod.id))
            #expect(record.terminatedAt == clock.now)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("a 2-GPU pod bills twice the per-GPU price")
    func costScalesWithGPUCount() async throws {
        let clock = ManualEmulatorClock()
        try await withEmulator(EmulatorOptions(port: 0, timeScale: 0.001, clock: clock)) { emulator in
            let launcher = emulatorLauncher(emulator)
            let pod = try await launcher.createPod(LaunchSpec(gpuTypeIDs: ["NVIDIA GeForce RTX 4090"], gpuCount: 2))
            clock.advance(by: .seconds(30 * 60))
            let cost = try #require(try await launcher.terminatePodMeasuringCost(podID: pod.id, now: { clock.now }))
            #expect(abs(cost.costPerHour - 1.38) < 1e-9)
            #expect(abs(cost.total - 0.69) < 1e-9)
        }
    }

    @Test("RunPod's timestamps parse with and without fractional seconds")
    func timestampsParse() {
        let plain = Pod(RunPod.Pod(id: "p", name: "n", status: .running, cost: 1, createdAt: "2026-03-13T20:00:00Z"))
        let fractional = Pod(RunPod.Pod(id: "p", name: "n", status: .running, cost: 1, createdAt: "2026-03-13T20:00:00.250Z"))
        #expect(plain.createdAt == Date(timeIntervalSince1970: 1_773_432_000))
        #expect(fractional.createdAt == Date(timeIntervalSince1970: 1_773_432_000.25))
        #expect(Pod(RunPod.Pod(id: "p", name: "n", status: .running, createdAt: "yesterday")).createdAt == nil)
    }

    @Test("short runs read in fractions of a cent, not as free")
    func smallAmounts() {
        #expect(PodCost.dollars(0.0042) == "$0.0042")
        #expect(PodCost.dollars(1.5) == "$1.50")
        let cost = PodCost(costPerHour: 0.69, from: Date(timeIntervalSince1970: 0), to: Date(timeIntervalSince1970: 90))
        #expect(cost.summary == "ran 1m30s at $0.690/h ≈ $0.02")
    }

    @Test(
        "durations parse as people write them",
        arguments: [
            ("90s", 90.0), ("10m", 600), ("2h", 7200), ("1h30m", 5400), ("1.5h", 5400), ("250ms", 0.25), ("45", 45), ("1d", 86400),
        ])
    func durationsParse(text: String, seconds: Double) {
        #expect(DurationText.parse(text) == .milliseconds(Int64(seconds * 1000)))
    }

    @Test("malformed durations are refused", arguments: ["", "h", "10x", "-5", "1h30", "abc"])
    func badDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
