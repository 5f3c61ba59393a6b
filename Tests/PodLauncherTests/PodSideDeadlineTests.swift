import Foundation
import PodLauncher
import RunPodAPI
import RunPodEmulator
import TestSupport
import Testing

@Suite("pod-side deadline: the pod stops itself")
struct PodSideDeadlineTests {
    @Test("the wrapper replaces the start command and carries the deadline and the real command in the environment")
    func wrapperApplied() throws {
        let now = Date(timeIntervalSince1970: 1_790_000_000.7)
        let spec = PodSideDeadline(startCommand: "python main.py --listen").apply(to: LaunchSpec(), lifetime: .seconds(7200), now: now)
        #expect(spec.args == PodSideDeadline.wrapper)
        #expect(spec.env[PodSideDeadline.deadlineKey] == "1790007200")
        #expect(spec.env[PodSideDeadline.startCommandKey] == "python main.py --listen")
    }

    @Test("the emulator terminates a wrapped pod at its deadline, and not before")
    func emulatorHonoursDeadline() async throws {
        let clock = ManualEmulatorClock()
        try await withEmulator(EmulatorOptions(port: 0, timeScale: 0.001, clock: clock)) { emulator in
            let options = LaunchOptions(
                limits: PodLimits(maxLifetime: .seconds(3600)), podSideDeadline: PodSideDeadline(startCommand: "python main.py"),
                now: { clock.now })
            let pod = try await emulatorLauncher(emulator).createPod(LaunchSpec(gpuTypeIDs: ["NVIDIA A40"]), options: options)
            let created = try #require(await emulator.state().pods.first { $0.id == pod.id })
            #expect(created.createRequest["args"] == .string(PodSideDeadline.wrapper))

            clock.advance(by: .seconds(3599))
            #expect(await emulator.pod(id: pod.id)?.status == .running)
            clock.advance(by: .seconds(2))
            let record = try #require(await emulator.pod(id: pod.id))
            #expect(record.status == .terminated)
            #expect(record.terminatedAt == Date(timeIntervalSince1970: 1_790_003_600))
            #expect(record.logs.contains { $0.line.contains("pod-side deadline reached") })
        }
    }

    @Test("a pod-side deadline needs a max lifetime and a start command")
    func needsLifetimeAndCommand() async throws {
        try await withEmulator { emulator in
            let launcher = emulatorLauncher(emulator)
            let noLifetime = LaunchOptions(podSideDeadline: PodSideDeadline(startCommand: "python main.py"))
            await #expect(throws: LauncherError.self) { try await launcher.createPod(LaunchSpec(), options: noLifetime) }
            let noCommand = LaunchOptions(limits: PodLimits(maxLifetime: .seconds(60)), podSideDeadline: PodSideDeadline(startCommand: " "))
            await #expect(throws: LauncherError.self) { try await launcher.createPod(LaunchSpec(), options: noCommand) }
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("the wrapper really runs the start command and, at the deadline, terminates the pod with runpodctl")
    func wrapperRunsInAShell() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("deadline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let calls = directory.appendingPathComponent("runpodctl.calls")
        let fake = directory.appendingPathComponent("runpodctl")
        try "#!/bin/sh\necho \"$@\" >> \(calls.path)\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let started = directory.appendingPathComponent("app.started")

        let spec = PodSideDeadline(startCommand: "touch \(started.path); sleep 4").apply(to: LaunchSpec(), lifetime: .seconds(1), now: Date())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // RunPod splits `args` into words as a shell would; `sh -c ARGS` does the same here.
        process.arguments = ["-c", try #require(spec.args)]
        process.environment = spec.env.merging(["PATH": "\(directory.path):/usr/bin:/bin", "RUNPOD_POD_ID": "pod123"]) { a, _ in a }
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let fired = await eventually(timeout: .seconds(5)) {
            (try? String(contentsOf: calls, encoding: .utf8))?.contains("remove pod pod123") == true
        }
        #expect(fired)
        #expect(FileManager.default.fileExists(atPath: started.path))
    }
}
