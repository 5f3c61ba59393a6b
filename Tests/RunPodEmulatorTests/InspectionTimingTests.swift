import Foundation
import Testing

@testable import RunPodEmulator

@Suite("inspection: when a pod's app began answering")
struct InspectionTimingTests {
    @Test("appReadyAt is the scheduled moment the app began answering, not when someone looked")
    func appReadyAtIsScheduledTime() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let created = clock.now
            let (_, id) = try await emulator.createPod()
            clock.advance(by: .seconds(80))
            var pod = try #require(await emulator.state().pods.first { $0.id == id })
            #expect(pod.appReadyAt == nil, "45 s pull + 15 s start + 30 s app: not before 90 s")
            #expect(pod.runningAt == JSONCoding.timestamp(created.addingTimeInterval(60)))

            clock.advance(by: .seconds(25))  // first looked at 15 s after the app came up
            pod = try #require(await emulator.state().pods.first { $0.id == id })
            #expect(pod.appReadyAt == JSONCoding.timestamp(created.addingTimeInterval(90)))
            #expect(try await emulator.proxyGet(podID: id).status == 200)

            _ = try await emulator.call(.DELETE, "/v2/pods/\(id)")
            pod = try #require(await emulator.state().pods.first { $0.id == id })
            #expect(pod.appReadyAt == JSONCoding.timestamp(created.addingTimeInterval(90)), "kept for inspection after terminate")
            #expect(pod.runningAt == nil)
        }
    }
}
