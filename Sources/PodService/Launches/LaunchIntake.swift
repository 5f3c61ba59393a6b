import Foundation
import PodLauncher

/// How a `POST /v1/pods` body becomes a stored plan: the service's profiles (read once at start) and environment
/// (`RUNPOD_NETWORK_VOLUME_ID`), merged as the CLI merges them (`LaunchPlan.resolve`), with the library's checks.
public struct LaunchIntake: Sendable {
    public var profiles: LaunchProfiles?
    public var environment: [String: String]

    public init(profiles: LaunchProfiles?, environment: [String: String]) {
        self.profiles = profiles
        self.environment = environment
    }

    /// The launch's name and plan, or a 422 naming every field that is wrong.
    func plan(for request: LaunchRequest) throws(Problem) -> (name: String, record: LaunchPlanRecord) {
        let record = try request.resolve(profiles: profiles, environment: environment)
        let name = record.spec.name ?? PodIdentity.generateName(image: record.spec.image)
        var named = record
        named.spec.name = name
        return (name, named)
    }
}
