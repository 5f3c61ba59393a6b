import Foundation
import PodLauncher
import RunPodAPI
import Testing

@testable import LauncherCLI

/// What scripts parse (JSON on stdout) and what people read (progress on stderr).
@Suite("output")
struct OutputTests {
    static let pod = Pod(
        id: "abc123", name: "comfyui-quiet-otter-1a2b", gpuTypeID: "NVIDIA A40", gpuCount: 1, dataCenterID: "EU-RO-1", cloud: .secure,
        networkVolumeID: "rp-vol-comfyui01", image: "bilunsun/comfyuiprod:pod-test-0", costPerHour: 0.4, status: .running)

    @Test("launch --json prints every documented key, URLs keyed by port")
    func podJSONShape() throws {
        let url = try #require(URL(string: "https://abc123-8188.proxy.runpod.net"))
        let ready = ReadyPod(pod: Self.pod, urls: [8188: url], sshCommand: nil, readyAfter: .seconds(40))
        let object = try jsonObject(JSONOutput.encode(PodJSON(ready)))
        #expect(
            Set(object.keys) == [
                "id", "name", "gpuTypeId", "gpuCount", "dataCenterId", "cloud", "networkVolumeId", "image", "costPerHr", "vcpuCount", "memoryGB",
                "status", "ready", "urls",
            ])
        #expect(object["id"] as? String == "abc123")
        #expect(object["cloud"] as? String == "SECURE")
        #expect(object["costPerHr"] as? Double == 0.4)
        #expect(object["ready"] as? Bool == true)
        #expect(object["urls"] as? [String: String] == ["8188": "https://abc123-8188.proxy.runpod.net"])
    }

    @Test("unknown values are null, not missing, so the shape never changes")
    func nullsStay() throws {
        let bare = Pod(
            id: "p", name: "n", gpuTypeID: nil, gpuCount: 1, dataCenterID: nil, cloud: nil, networkVolumeID: nil, image: nil, costPerHour: 0,
            status: .provisioning)
        let object = try jsonObject(JSONOutput.encode(PodJSON(bare, ready: false, urls: [:])))
        #expect(object.count == 14)
        #expect(object["networkVolumeId"] is NSNull)
        #expect(object["vcpuCount"] is NSNull && object["memoryGB"] is NSNull)
        #expect(object["ready"] as? Bool == false)
    }

    @Test("a failure document carries podId only when a pod may bill")
    func errorJSONShape() throws {
        let withPod = try jsonObject(JSONOutput.encode(ErrorJSON(kind: "timedOut", message: "not ready", podId: "abc123")))
        #expect(withPod["podId"] as? String == "abc123")
        #expect((withPod["error"] as? [String: String]) == ["kind": "timedOut", "message": "not ready"])
        let without = try jsonObject(JSONOutput.encode(ErrorJSON(kind: "noCapacity", message: "none", podId: nil)))
        #expect(without["podId"] == nil)
        #expect(Set(without.keys) == ["error"])
        #expect(withPod["podIds"] as? [String] == ["abc123"])
    }

    @Test("a failure document lists every pod a fleet left in podIds, podId being the last; neither when none is left")
    func errorJSONFleet() throws {
        let fleet = try jsonObject(JSONOutput.encode(ErrorJSON(kind: "podFailed", message: "pod 2 failed", podIDs: ["p1", "p2", "p3"])))
        #expect(fleet["podIds"] as? [String] == ["p1", "p2", "p3"])
        #expect(fleet["podId"] as? String == "p3")
        let none = try jsonObject(JSONOutput.encode(ErrorJSON(kind: "podFailed", message: "pod 2 failed", podIDs: [])))
        #expect(Set(none.keys) == ["error"])
    }

    @Test("progress lines carry the elapsed time and the transition")
    func plainLines() {
        let transition = LaunchEvent.statusChanged(podID: "abc123", from: .provisioning, to: .starting, elapsed: .seconds(12))
        let one = ProgressState()
        #expect(ProgressDrawing.line(for: transition, elapsed: .milliseconds(12_300), state: one) == "[  12.3s] pod abc123: PROVISIONING → STARTING")
        let answered = LaunchEvent.appAnswered(podID: "abc123", port: 8188, httpStatus: 200, elapsed: .seconds(40))
        #expect(ProgressDrawing.line(for: answered, elapsed: .milliseconds(40_100), state: one) == "[  40.1s] app answering on 8188 (HTTP 200)")
        // Several pods: each pod's steps only move the live line; creates and readiness keep their lines, with the tally.
        var three = ProgressState()
        three.apply(.created(Self.pod, launchID: "abcd1234", index: 1, count: 3))
        #expect(ProgressDrawing.line(for: transition, elapsed: .seconds(12), state: three) == nil)
        #expect(ProgressDrawing.line(for: answered, elapsed: .seconds(40), state: three) == nil)
        let created = ProgressDrawing.line(for: .created(Self.pod, launchID: "abcd1234", index: 1, count: 3), elapsed: .seconds(1), state: three)
        #expect(created?.hasSuffix("pod abc123 (comfyui-quiet-otter-1a2b, #2) created on 1× NVIDIA A40 in EU-RO-1, $0.40/h; 1/3 created") == true)
    }

    @Test("the live line is a pure function of the state and the elapsed time")
    func liveLine() {
        var state = ProgressState()
        state.apply(.created(Self.pod, launchID: "abcd1234", index: 0, count: 1))
        state.apply(.statusChanged(podID: "abc123", from: .provisioning, to: .starting, elapsed: .seconds(3)))
        let line = ProgressDrawing.liveLine(state, elapsed: .milliseconds(3_200), frame: 1)
        #expect(line == "⠙ [   3.2s] pod abc123 STARTING waiting for the container")
        #expect(ProgressDrawing.liveLine(state, elapsed: .milliseconds(3_200), frame: 1) == line)
        let narrow = ProgressDrawing.liveLine(state, elapsed: .milliseconds(3_200), frame: 1, width: 20)
        #expect(narrow.count == 20)
        #expect(narrow.hasSuffix("…"))
    }

    @Test("the reporter prints one plain line per event when stderr is not a terminal, and tracks pods that may bill")
    func reporterPlain() {
        let console = CapturedConsole()
        let session = CommandContext(environment: [:], console: console).session
        let reporter = ProgressReporter(console: console, session: session)
        reporter.handle(.created(Self.pod, launchID: "abcd1234", index: 0, count: 1))
        #expect(session.livePods == ["abc123"])
        reporter.handle(.terminating(podID: "abc123", reason: "cancelled"))
        reporter.handle(.terminated(podID: "abc123"))
        reporter.finish()
        #expect(session.livePods.isEmpty)
        let lines = console.stderr.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.last?.hasSuffix("pod abc123 terminated (confirmed gone)") == true)
        #expect(console.stdout.isEmpty)
        #expect(!console.stderr.contains("\u{1B}"))
    }

    @Test("a second Ctrl-C names the pod and the command that terminates it")
    func secondInterruptWarning() {
        let text = SignalHandling.interruptedDuringCleanupWarning(pods: ["abc123"])
        #expect(text.contains("abc123 may still be running"))
        #expect(text.contains("runpod-launcher terminate abc123"))
    }

    @Test("tables align columns")
    func table() {
        #expect(Table.columns(["ID", "STATUS"], [["a", "RUNNING"], ["longer", "EXITED"]]) == "ID      STATUS\na       RUNNING\nlonger  EXITED\n")
    }
}
