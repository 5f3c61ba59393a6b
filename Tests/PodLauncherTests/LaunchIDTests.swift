import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

/// A service records a launch before it asks RunPod, under the launch ID the pod will carry; after a crash it finds
/// its pods again by those IDs.
@Suite("launch IDs chosen by the caller")
struct LaunchIDTests {
    @Test("each pod carries the launch ID it was given, and pods(launchIDs:) finds it until it is terminated")
    func chosenIDsAreCarriedAndFound() async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator)
            var options = LaunchOptions(timeout: .seconds(30))
            options.launchIDs = ["svc-launch-0001", "svc-launch-0002"]
            let launched = try await launcher.launch(LaunchSpec(name: "svc", gpuTypeIDs: ["NVIDIA A40"]), count: 2, options: options)
            let sent = await emulator.state().pods.map { $0.createRequest["env"]?[PodIdentity.launchIDKey] }
            #expect(Set(sent) == [.string("svc-launch-0001"), .string("svc-launch-0002")])

            let found = try await launcher.pods(launchIDs: ["svc-launch-0001", "svc-launch-0002", "svc-launch-none"])
            #expect(found.keys.sorted() == ["svc-launch-0001", "svc-launch-0002"])
            #expect(Set(found.values.flatMap { $0.map(\.id) }) == Set(launched.podIDs))

            _ = await launcher.terminate(podIDs: launched.podIDs)
            #expect(try await launcher.pods(launchIDs: ["svc-launch-0001", "svc-launch-0002"]).isEmpty)
        }
    }

    @Test("a create whose answer was lost is adopted under the given launch ID: one pod, found by it")
    func lostCreateFoundByID() async throws {
        try await withEmulator { emulator in
            await emulator.setFaults([FaultRule(operation: "createPod", kind: .dropConnectionAfterApply, times: 1)])
            let launcher = emulatorLauncher(emulator)
            var options = LaunchOptions()
            options.launchIDs = ["svc-lost-answer-01"]
            let pod = try await launcher.createPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), options: options)
            let found = try await launcher.pods(launchIDs: ["svc-lost-answer-01"])
            #expect(found["svc-lost-answer-01"]?.map(\.id) == [pod.id])
            #expect(await emulator.state().pods.count == 1)
            try await launcher.terminatePod(podID: pod.id)
        }
    }

    @Test(
        "launch IDs that cannot work are refused before anything is sent",
        arguments: [
            (["only-one-id-here"], "2 pods"),
            (["same-id-twice-1", "same-id-twice-1"], "given twice"),
            (["short", "long-enough-id-2"], "is not 8 to 64"),
            (["has space in it", "long-enough-id-2"], "is not 8 to 64"),
        ])
    func refused(ids: [String], says: String) async throws {
        try await withEmulator { emulator in
            var options = LaunchOptions()
            options.launchIDs = ids
            let error = try await #require(throws: LauncherError.self) {
                try await emulatorLauncher(emulator).launch(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), count: 2, options: options)
            }
            #expect(error.kind == .usage)
            #expect(error.reasonDescription.contains(says == "2 pods" ? "for 2 pods" : says), "\(error.reasonDescription)")
            #expect(await emulator.state().calls.filter { !$0.key.hasPrefix("_") }.isEmpty, "nothing may be sent")
        }
    }
}
