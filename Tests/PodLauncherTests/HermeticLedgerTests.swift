import Foundation
import PodLauncher
import RunPodEmulator
import TestSupport
import Testing

/// `ledger:` has no default, and no construction may pass `PodLedger.standard` (the user's
/// `$XDG_STATE_HOME/runpod-launcher`): a test that did would write the state directory of whoever runs `swift test`.
/// Every construction in the package names its ledger: nil, a temporary one, or (in the CLI) the one of the run's
/// environment; the shared test launchers (TestSupport) record in temporary directories.
@Suite("hermetic ledger: every launcher the package builds names its ledger")
struct HermeticLedgerTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Each `RunPodLauncher(…)` call in `text` (outside `//` comments), as `(line, arguments)`.
    static func constructions(in text: String) -> [(line: Int, arguments: String)] {
        let characters = Array(text)
        let needle = Array("RunPodLauncher(")
        var found: [(line: Int, arguments: String)] = []
        var line = 1
        var lineStart = 0
        var index = 0
        while index < characters.count {
            if characters[index] == "\n" {
                line += 1
                lineStart = index + 1
            }
            guard index + needle.count <= characters.count, Array(characters[index..<index + needle.count]) == needle,
                index == 0 || !(characters[index - 1].isLetter || characters[index - 1].isNumber || characters[index - 1] == "_")
            else {
                index += 1
                continue
            }
            let before = String(characters[lineStart..<index])
            var depth = 0
            var end = index + needle.count - 1
            repeat {
                if characters[end] == "(" { depth += 1 }
                if characters[end] == ")" { depth -= 1 }
                end += 1
            } while depth > 0 && end < characters.count
            if !before.contains("//") { found.append((line, String(characters[(index + needle.count)..<(end - 1)]))) }
            index += needle.count
        }
        return found
    }

    @Test("the scan finds constructions and what they pass")
    func scannerWorks() {
        let text = """
            let a = RunPodLauncher(client: c, configuration: .init(x: f(1)), ledger: nil) { e in print(e) }
            /// `RunPodLauncher(ledger:)` in a comment is not a call
            let b = MyRunPodLauncher(client: c)
            let c = RunPodLauncher(
                client: c,
                events: nil)
            """
        let found = Self.constructions(in: text)
        #expect(found.map(\.line) == [1, 4])
        #expect(found.first?.arguments == "client: c, configuration: .init(x: f(1)), ledger: nil")
        #expect(found.last?.arguments.contains("ledger:") == false)
    }

    @Test("no RunPodLauncher(…) in Sources or Tests falls back to the default ledger")
    func everyConstructionNamesItsLedger() throws {
        var scanned = 0
        var offenders: [String] = []
        for folder in ["Sources", "Tests"] {
            let root = Self.packageRoot.appendingPathComponent(folder)
            let files = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
            // This file's own examples are not constructions.
            for case let url as URL in files where url.pathExtension == "swift" && url.lastPathComponent != "HermeticLedgerTests.swift" {
                let text = try String(contentsOf: url, encoding: .utf8)
                for call in Self.constructions(in: text) {
                    scanned += 1
                    if !call.arguments.contains("ledger:") || call.arguments.contains(#/ledger:\s*(PodLedger)?\.standard/#) {
                        offenders.append("\(folder)/\(url.path.components(separatedBy: "/\(folder)/").last ?? url.path):\(call.line)")
                    }
                }
            }
        }
        #expect(scanned >= 10, "the scan found only \(scanned) constructions; is the package root right?")
        #expect(offenders.isEmpty, "pass `ledger: nil` or `ledger: scratchLedger()` (tests), or the caller's ledger (library) at: \(offenders)")
    }

    @Test("the shared test launchers record nowhere, or in a temporary directory")
    func sharedFactoriesAreHermetic() async throws {
        let temporary = FileManager.default.temporaryDirectory.standardizedFileURL.path
        let real = PodLedger.standard?.directory.standardizedFileURL.path
        try await withEmulator { emulator in
            let launchers = [
                emulatorLauncher(emulator), skippingLauncher(emulator, clock: SkippingClock()), EmulatorIntegrationTests().launcher(emulator),
                PodLedgerLauncherTests.launcher(emulator, ledger: nil), Harness(fake: FakeRunPod(gpus: [a40])).launcher,
            ]
            for launcher in launchers {
                guard let directory = launcher.ledger?.directory.standardizedFileURL.path else { continue }
                #expect(directory.hasPrefix(temporary) && directory != real, "\(directory)")
            }
        }
    }
}
