import Foundation
import LauncherCLI
import PodLauncher
import RunPodAPI
import RunPodEmulator
import Testing

/// Pod names and environment values that break naive quoting reach RunPod exactly as given, through the CLI and
/// the library, checked against the body the emulator received (`createRequest` in its state endpoint).
@Suite("hostile input: names and env values round-trip exactly")
struct HostileInputRoundTripTests {
    /// Text that trips up shells, JSON writers, log formatters and Unicode normalisers.
    static let hostileTexts: [String] = [
        #"quote "double" and 'single' and `back`"#,
        #"back\slash \n \" \\ \u0041 (not escapes)"#,
        "line one\nline two\r\nline three",
        "tab\there\tand\u{0B}vertical",
        "emoji 🚀🧪 flag 🇷🇴 family 👨‍👩‍👧",
        "café naïve 日本語 Ελληνικά עברית",
        "e\u{301} decomposed, \u{E9} precomposed",
        "a=b==c=",
        "$(rm -rf /); `id` && echo $HOME | cat > /dev/null <in",
        #"{"json": [1, 2], "nested": {"k": null}}"#,
        "%s %d %@ %n {0} ${x} {{x}}",
        "  leading and trailing spaces  ",
    ]

    /// Exactly the same Unicode scalars (Swift's `==` would call é and e + ◌́ equal).
    static func sameScalars(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return a == b }
        return Array(a.unicodeScalars) == Array(b.unicodeScalars)
    }

    @Test("through the CLI: --name and --env values arrive byte for byte", arguments: hostileTexts)
    func cli(_ text: String) async throws {
        try await withGatedEmulator { emulator in
            let result = try await runInProcess(
                ["launch", "--no-wait", "--json", "--name", text, "--env", "HOSTILE=\(text)", "--env", "EQUALS==\(text)="],
                environment: EndToEndTests.environment(emulator))
            #expect(result.status == 0, "\(result.stderr)")
            let pods = await emulator.state().pods
            let pod = try #require(pods.first)
            #expect(pods.count == 1)
            #expect(Self.sameScalars(pod.createRequest["name"]?.stringValue, text), "name arrived as \(pod.createRequest["name"] ?? .null)")
            #expect(Self.sameScalars(pod.createRequest["env"]?["HOSTILE"]?.stringValue, text))
            #expect(Self.sameScalars(pod.createRequest["env"]?["EQUALS"]?.stringValue, "=\(text)="), "only the first = splits KEY=VALUE")
            #expect(Self.sameScalars(pod.name, text))
            // The JSON document on stdout carries the name exactly too.
            #expect(Self.sameScalars(try jsonObject(result.stdout)["name"] as? String, text))
            try await MatrixRig(emulator: emulator).launcher().terminatePod(podID: pod.id)
        }
    }

    @Test("through the library: LaunchSpec name and env arrive and read back exactly", arguments: hostileTexts)
    func library(_ text: String) async throws {
        try await withGatedEmulator { emulator in
            let launcher = MatrixRig(emulator: emulator).launcher()
            let created = try await launcher.createPod(LaunchSpec(name: text, env: ["HOSTILE": text, "PLAIN": "x"]))
            let pod = try #require(await emulator.state().pods.first)
            #expect(Self.sameScalars(pod.createRequest["name"]?.stringValue, text))
            #expect(Self.sameScalars(pod.createRequest["env"]?["HOSTILE"]?.stringValue, text))
            #expect(Self.sameScalars(created.name, text))
            #expect(Self.sameScalars(try await launcher.getPod(podID: created.id).name, text))
            try await launcher.terminatePod(podID: created.id)
            #expect(await emulator.state().pods.allSatisfy { !$0.alive })
        }
    }
}
