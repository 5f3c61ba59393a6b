import Foundation
import PodLauncher
import Testing

@testable import PodService

@Suite struct LaunchTests {
    @Test func launchIDsAre32LowercaseHexDigits() {
        let id = Launch.newID()
        #expect(Launch.isID(id))
        #expect(!Launch.isID(id.uppercased()))
        #expect(!Launch.isID(String(id.dropLast())))
        #expect(Launch.newID() != id)
    }

    @Test func costCountsFromThePodsCreationAtItsRateAndStopsAtTheEnd() {
        let start = Date(timeIntervalSince1970: 1_000_000)
        var launch = Launch(id: Launch.newID(), name: "a", plan: LaunchPlanRecord(spec: LaunchSpec(), timeoutSeconds: 300), createdAt: start)
        #expect(launch.cost(at: start.addingTimeInterval(3600)) == 0)
        launch.costPerHour = 0.5
        launch.podCreatedAt = start
        #expect(abs(launch.cost(at: start.addingTimeInterval(3600)) - 0.5) < 1e-9)
        launch.endedAt = start.addingTimeInterval(1800)
        #expect(abs(launch.cost(at: start.addingTimeInterval(7200)) - 0.25) < 1e-9)
    }
}
