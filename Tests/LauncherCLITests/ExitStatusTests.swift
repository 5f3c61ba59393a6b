import Foundation
import LauncherCLI
import PodLauncher
import RunPodAPI
import Testing

/// Every error a command can end with maps to one documented exit code, in one place.
@Suite("exit codes")
struct ExitStatusTests {
    static func apiError(_ kind: RunPodAPIError.Kind, detail: String = "detail") -> RunPodAPIError {
        RunPodAPIError(operation: "getPod", kind: kind, problem: RunPod.Problem(detail: detail), message: "RunPod answered \(kind)")
    }

    static let candidate = PlacementCandidate(gpuTypeID: "NVIDIA A40", cloud: .secure, dataCenterID: "EU-RO-1")

    struct Mapping: Sendable, CustomTestStringConvertible {
        var error: LauncherError
        var status: Int32
        var kind: String
        var testDescription: String { "\(kind) → \(status)" }
    }

    static let launcherErrors: [Mapping] = [
        Mapping(error: .invalidInput("bad"), status: 64, kind: "invalidInput"),
        Mapping(error: .unauthorized(detail: "missing bearer token"), status: 77, kind: "unauthorized"),
        Mapping(error: .insufficientBalance(detail: "balance too low"), status: 69, kind: "insufficientBalance"),
        Mapping(
            error: .noCapacity(dataCenterID: "EU-RO-1", tried: [.init(candidate: candidate, status: 400, detail: "no instances")], available: []),
            status: 75, kind: "noCapacity"),
        Mapping(error: .podFailed(podID: "p1", status: .error, message: "image pull failed"), status: 70, kind: "podFailed"),
        Mapping(error: .podFailed(podID: "p1", status: .exited, message: "exited"), status: 70, kind: "podFailed"),
        Mapping(error: .timedOut(podID: "p1", after: .seconds(5), lastStatus: .starting, waitingFor: "RUNNING"), status: 124, kind: "timedOut"),
        Mapping(error: .notFound(kind: "pod", id: "p1"), status: 64, kind: "notFound"),
        Mapping(error: .unreachable(apiError(.transport)), status: 69, kind: "unreachable"),
        Mapping(error: .unreachable(apiError(.http(status: 503))), status: 69, kind: "unreachable"),
        Mapping(error: .malformedResponse(apiError(.malformedResponse)), status: 76, kind: "malformedResponse"),
        Mapping(error: .rejected(apiError(.http(status: 403))), status: 77, kind: "unauthorized"),
        Mapping(error: .rejected(apiError(.http(status: 402))), status: 69, kind: "insufficientBalance"),
        Mapping(error: .rejected(apiError(.http(status: 422))), status: 64, kind: "rejected"),
        Mapping(error: .rejected(apiError(.http(status: 409))), status: 69, kind: "rejected"),
        Mapping(
            error: LauncherError(
                .configuration(ProfileError(path: "/tmp/profiles.toml", line: 3, key: "comfyui.gpu-count", message: "not a number"))),
            status: 78, kind: "config"),
        Mapping(
            error: LauncherError(
                .limitExceeded(PodLimitExceeded(limit: .lifetime(.seconds(60)), podID: "p1", elapsed: .seconds(61), costPerHour: 0.5))),
            status: 124, kind: "limitExceeded"),
        Mapping(
            error: LauncherError(
                .noCapacity(
                    dataCenterID: "EU-RO-1", tried: [.init(candidate: candidate, status: 400, detail: "no instances")], available: [],
                    waited: (.seconds(600), tries: 7))),
            status: 75, kind: "noCapacity"),
        Mapping(error: .cancelled, status: 130, kind: "interrupted"),
        Mapping(error: .unexpected("the system refused a thread"), status: 69, kind: "unexpected"),
    ]

    @Test("each LauncherError case has its exit code and kind", arguments: launcherErrors)
    func launcherErrorMapping(_ mapping: Mapping) {
        let failure = Failure.from(mapping.error)
        #expect(failure.status == mapping.status)
        #expect(failure.kind == mapping.kind)
        #expect(!failure.message.isEmpty)
    }

    @Test("the mapping covers every LauncherError case", arguments: [true])
    func everyCaseCovered(_: Bool) {
        // A new LauncherError case breaks this switch at compile time, so the table above must grow with it.
        for mapping in Self.launcherErrors {
            switch mapping.error.reason {
            case .invalidInput, .configuration, .unauthorized, .insufficientBalance, .noCapacity, .podFailed, .timedOut, .limitExceeded,
                .notFound, .unreachable, .malformedResponse, .rejected, .cancelled, .unexpected:
                #expect(ExitStatus(rawValue: mapping.status) != nil)
            }
        }
        // And every kind has its own code, the one the mapping table uses.
        #expect(Set(LauncherError.Kind.allCases.map { ExitStatus($0).rawValue }).count == LauncherError.Kind.allCases.count)
        for mapping in Self.launcherErrors {
            #expect(ExitStatus(mapping.error.kind).rawValue == mapping.status, "\(mapping.kind)")
        }
    }

    @Test(
        "raw RunPod API errors map by HTTP status and kind",
        arguments: [
            (RunPodAPIError.Kind.http(status: 401), Int32(77)), (.http(status: 403), 77), (.http(status: 402), 69), (.http(status: 404), 64),
            (.http(status: 422), 64), (.http(status: 429), 69), (.http(status: 500), 69), (.transport, 69), (.timeout, 69),
            (.malformedResponse, 76),
        ])
    func apiErrorMapping(_ kind: RunPodAPIError.Kind, _ status: Int32) {
        #expect(Failure.from(Self.apiError(kind)).status == status)
    }

    @Test("a 401 says where the key came from and what to check, never the key")
    func unauthorizedMessage() {
        let failure = Failure.from(Self.apiError(.http(status: 401)), credentialSource: .environment(variable: "RUNPOD_API_KEY"))
        #expect(failure.status == 77)
        #expect(failure.message.contains("$RUNPOD_API_KEY"))
        #expect(failure.message.contains("Check RUNPOD_API_KEY"))
    }

    @Test("a launch failure keeps its cause's code and says what became of the pod")
    func launcherFailure() {
        let cause = LauncherError.timedOut(podID: "p9", after: .seconds(1), lastStatus: .provisioning, waitingFor: "RUNNING")
        let terminated = Failure.from(LauncherError(cause.reason, terminated: ["p9"]))
        #expect(terminated.status == 124)
        #expect(terminated.message.contains("p9"))
        #expect(terminated.message.contains("Pod p9 was terminated"))
        let kept = Failure.from(LauncherError(cause.reason, leftRunning: ["p9"]))
        #expect(kept.status == 124)
        #expect(kept.message.contains("runpod-launcher terminate p9"))
        let cancelled = Failure.from(LauncherError(.cancelled, terminated: ["p9"]))
        #expect(cancelled.status == 130)
    }

    @Test("cancellation is 130, missing credentials 77, a command that cannot start 127")
    func otherErrors() {
        #expect(Failure.from(CancellationError()).status == 130)
        #expect(Failure.from(ConfigurationError(kind: .noAPIKey, message: "No RunPod API key found.")).status == 77)
        #expect(Failure.from(ConfigurationError(kind: .invalidBaseURL, message: "bad")).status == 64)
        #expect(Failure.from(CLIError.usage("bad")).status == 64)
        #expect(Failure.from(CLIError.commandNotStarted(command: "x", reason: "no such file")).status == 127)
    }

    @Test("exit codes are the documented sysexits-style values")
    func documentedValues() {
        #expect(ExitStatus.allCases.map(\.rawValue) == [0, 64, 69, 70, 75, 76, 77, 78, 124, 127, 130])
    }
}
