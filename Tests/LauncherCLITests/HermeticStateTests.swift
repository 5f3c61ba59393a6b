import Foundation
import PodLauncher
import RunPodEmulator
import Testing

/// The CLI keeps its pod ledger in `$XDG_STATE_HOME/runpod-launcher` (else `~/.local/state/runpod-launcher`); a test
/// run must never use the real one of whoever runs `swift test`. `list --mine --json` names the ledger it used.
@Suite("hermetic state: CLI runs in tests keep their ledger in a temporary directory")
struct HermeticStateTests {
    static func ledgerPath(_ result: CLIResult) throws -> String {
        try #require(try jsonObject(result.stdout)["ledger"] as? String, "no ledger in: \(result.stdout) \(result.stderr)")
    }

    static func expectTemporary(_ path: String) {
        let temporary = FileManager.default.temporaryDirectory.standardizedFileURL.path
        let real = PodLedger.standard?.directory.standardizedFileURL.path
        let used = URL(fileURLWithPath: path).standardizedFileURL.path
        #expect(used.hasPrefix(temporary) && used != real, "the run used the ledger at \(used)")
    }

    @Test("in-process runs get a temporary XDG_STATE_HOME")
    func inProcess() async throws {
        try await withEmulator { emulator in
            let environment = EndToEndTests.environment(emulator)
            #expect(environment["XDG_STATE_HOME"] == nil && environment["HOME"] == nil)
            let result = try await runInProcess(["list", "--mine", "--json"], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            let path = try Self.ledgerPath(result)
            Self.expectTemporary(path)
            #expect(!path.contains("/.local/state/"), "XDG_STATE_HOME is set, not left to HOME: \(path)")
        }
    }

    @Test("the binary gets a temporary XDG_STATE_HOME")
    func binary() async throws {
        try await withEmulator { emulator in
            let result = try await Binary.run(["list", "--mine", "--json"], environment: EndToEndTests.environment(emulator))
            #expect(result.status == 0, "\(result.stderr)")
            let path = try Self.ledgerPath(result)
            Self.expectTemporary(path)
            #expect(!path.contains("/.local/state/"), "XDG_STATE_HOME is set, not left to HOME: \(path)")
        }
    }
}
