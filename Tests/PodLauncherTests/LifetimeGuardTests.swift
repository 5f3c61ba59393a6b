import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

@Suite("lifetime and cost limits terminate the pod when crossed")
struct LifetimeGuardTests {
    /// The limit behind a failure, when it was one.
    func exceeded(_ error: any Error) -> PodLimitExceeded? {
        guard case .limitExceeded(let exceeded)? = (error as? LauncherError)?.reason else { return nil }
        return exceeded
    }

    @Test("max lifetime crossed while the body runs: the body is cancelled, the pod terminated, the error says why")
    func lifetimeDuringBody() async throws {
        try await withEmulator { emulator in
            let started = ContinuousClock.now
            let error = await #expect(throws: LauncherError.self) {
                try await emulatorLauncher(emulator).withPod(
                    LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]),
                    options: LaunchOptions(timeout: .seconds(30), limits: PodLimits(maxLifetime: .milliseconds(400)))
                ) { _ in
                    try await Task.sleep(for: .seconds(60))
                }
            }
            let failure = try #require(error)
            let limit = try #require(exceeded(failure))
            #expect(limit.limit == .lifetime(.milliseconds(400)))
            #expect(limit.elapsed >= .milliseconds(400))
            #expect(abs(limit.costPerHour - 0.40) < 1e-9)
            #expect(failure.leftRunning.isEmpty && failure.terminated == [limit.podID])
            #expect(failure.kind == .timedOut && failure.name == "limitExceeded")
            #expect(failure.description.contains("reached its max lifetime of 400ms"))
            #expect(failure.description.contains("was terminated"))
            #expect(ContinuousClock.now - started < .seconds(60))
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("max cost crossed: the cost limit fires at maxCost / rate, with the cost so far in the message")
    func costLimit() async throws {
        try await withEmulator { emulator in
            // H100 at $2.99/h: $0.0003 is reached after ~0.36 s.
            let options = LaunchOptions(timeout: .seconds(30), limits: PodLimits(maxCost: 0.0003))
            let error = await #expect(throws: LauncherError.self) {
                try await emulatorLauncher(emulator).withPod(LaunchSpec(gpuTypeIDs: ["NVIDIA H100 80GB HBM3"]), options: options) {
                    _ in try await Task.sleep(for: .seconds(60))
                }
            }
            let limit = try #require(error.flatMap { exceeded($0) })
            #expect(limit.limit == .cost(0.0003))
            #expect(limit.costSoFar >= 0.0003 * 0.99)
            #expect(limit.elapsed >= .milliseconds(350))
            #expect(limit.description.contains("max cost of $0.0003"))
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("a limit crossed while the pod is still starting terminates it before it is ready, even with keepOnFailure")
    func limitDuringWait() async throws {
        // Time scale 0.05: the pod needs seconds to start, the limit is 300 ms.
        try await withEmulator(EmulatorOptions(port: 0, timeScale: 0.05)) { emulator in
            let options = LaunchOptions(timeout: .seconds(60), keepOnFailure: true, limits: PodLimits(maxLifetime: .milliseconds(300)))
            let error = await #expect(throws: LauncherError.self) {
                try await emulatorLauncher(emulator).launchPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), options: options)
            }
            let failure = try #require(error)
            let limit = try #require(exceeded(failure))
            #expect(limit.limit == .lifetime(.milliseconds(300)))
            #expect(failure.terminated == [limit.podID])
            #expect(failure.leftRunning.isEmpty)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("with several pods, the first to cross a limit terminates every pod, and the body is cancelled")
    func limitAcrossPods() async throws {
        try await withEmulator { emulator in
            let options = LaunchOptions(timeout: .seconds(30), limits: PodLimits(maxLifetime: .milliseconds(400)))
            let error = await #expect(throws: LauncherError.self) {
                try await emulatorLauncher(emulator).withPods(LaunchSpec(name: "limited", gpuTypeIDs: ["NVIDIA A40"]), count: 3, options: options) {
                    _ in try await Task.sleep(for: .seconds(60))
                }
            }
            let failure = try #require(error)
            let limit = try #require(exceeded(failure))
            #expect(limit.limit == .lifetime(.milliseconds(400)))
            let created = await emulator.state().pods.map(\.id)
            #expect(created.count == 3)
            #expect(Set(failure.terminated) == Set(created) && failure.leftRunning.isEmpty)
            #expect(await alivePods(emulator).isEmpty)
        }
    }

    @Test("a body that finishes inside the limits returns its value and the pod is terminated")
    func withinLimits() async throws {
        try await withEmulator { emulator in
            let options = LaunchOptions(timeout: .seconds(30), limits: PodLimits(maxLifetime: .seconds(60), maxCost: 10))
            let id = try await emulatorLauncher(emulator).withPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), options: options) {
                ready in ready.pod.id
            }
            #expect(await emulator.pod(id: id)?.alive == false)
        }
    }

    @Test(
        "the first limit crossed is the one reported",
        arguments: [
            (PodLimits(maxLifetime: .seconds(3600), maxCost: 1), 2.0, PodLimitExceeded.Limit.cost(1), Duration.seconds(1800)),
            (PodLimits(maxLifetime: .seconds(600), maxCost: 1), 2.0, .lifetime(.seconds(600)), .seconds(600)),
            (PodLimits(maxCost: 1), 0.0, nil, nil),
            (PodLimits(maxLifetime: .seconds(5), maxCost: 1), 0.0, .lifetime(.seconds(5)), .seconds(5)),
        ] as [(PodLimits, Double, PodLimitExceeded.Limit?, Duration?)])
    func crossing(limits: PodLimits, rate: Double, limit: PodLimitExceeded.Limit?, age: Duration?) {
        let crossing = limits.crossing(costPerHour: rate)
        #expect(crossing?.limit == limit)
        #expect(crossing?.age == age)
    }
}
