import Foundation
import RunPodEmulator
import Testing

@testable import LauncherCLI

@Suite("text from RunPod and from users cannot drive the terminal")
struct TerminalHygieneTests {
    @Test(
        "control characters are shown as visible escapes; newlines and tabs stay",
        arguments: [
            ("evil\u{1B}[2Jname", "evil\\e[2Jname"),
            ("bell\u{07}", "bell\\x07"),
            ("carriage\rreturn", "carriage\\rreturn"),
            ("title\u{1B}]0;owned\u{07}", "title\\e]0;owned\\x07"),
            ("c1\u{9B}31m", "c1\\u{9b}31m"),
            ("bidi\u{202E}txt.exe", "bidi\\u{202e}txt.exe"),
            ("del\u{7F}", "del\\x7f"),
            ("two\nlines\tand a tab", "two\nlines\tand a tab"),
            ("ünïcode 🚀 stays", "ünïcode 🚀 stays"),
        ])
    func escapes(input: String, expected: String) {
        #expect(TerminalText.escaped(input) == expected)
    }

    @Test("a log's colours survive on a terminal, and nothing else does")
    func colours() {
        let line = "\u{1B}[31merror\u{1B}[0m \u{1B}[2J\u{1B}]0;t\u{07}"
        #expect(TerminalText.escaped(line, keepingColours: true) == "\u{1B}[31merror\u{1B}[0m \\e[2J\\e]0;t\\x07")
        #expect(TerminalText.escaped(line) == "\\e[31merror\\e[0m \\e[2J\\e]0;t\\x07")
    }

    @Test("a pod named with a clear-screen sequence is printed escaped by list and status, and exactly by --json")
    func hostilePodName() async throws {
        try await withEmulator(EmulatorOptions(port: 0, timeScale: 0.001)) { emulator in
            let environment = try Observe.environment(emulator)
            let name = "evil\u{1B}[2J\u{1B}]0;pwned\u{07}"
            let launched = try await runInProcess(["launch", "--no-wait", "--name", name], environment: environment)
            try #require(launched.status == 0, "\(launched.stderr)")
            #expect(!launched.allOutput.contains("\u{1B}"), "launch printed a raw ESC: \(launched.stderr)")
            let podID = launched.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

            for arguments in [["list"], ["list", "--mine"], ["status", podID]] {
                let result = try await runInProcess(arguments, environment: environment)
                #expect(result.status == 0, "\(arguments): \(result.stderr)")
                #expect(!result.allOutput.contains("\u{1B}") && !result.allOutput.contains("\u{07}"), "\(arguments) printed raw control characters")
                #expect(result.stdout.contains("evil\\e[2J\\e]0;pwned\\x07"), "\(arguments): \(result.stdout)")
            }

            let json = try await runInProcess(["list", "--json"], environment: environment)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let pods = try #require(document["pods"] as? [[String: Any]])
            #expect(pods.contains { $0["name"] as? String == name }, "--json must carry the name exactly")
            _ = try await runInProcess(["terminate", podID], environment: environment)
        }
    }
}
