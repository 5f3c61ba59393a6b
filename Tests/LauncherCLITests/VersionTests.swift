import Foundation
import LauncherCLI
import PodLauncher
import Testing

@Suite("version: which build is running, for bug reports and the service's /healthz")
struct VersionTests {
    @Test(
        "the version names the commit when the build recorded one, and says so when it did not",
        arguments: [
            (LauncherVersion(version: "1.2.3", commit: "0123456789abcdef0123456789abcdef01234567"), "1.2.3 (commit 0123456789ab)"),
            (LauncherVersion(version: "1.2.3", commit: "0123456789abcdef0123", modified: true), "1.2.3 (commit 0123456789ab, modified)"),
            (LauncherVersion(version: "1.2.3", commit: "abc1234"), "1.2.3 (commit abc1234)"),
            (LauncherVersion(version: "1.2.3"), "1.2.3 (commit not recorded)"),
        ])
    func described(version: LauncherVersion, text: String) {
        #expect(version.description == text)
    }

    @Test("this build's version is the package version, with the commit only when scripts/build-release stamped one")
    func current() {
        let current = LauncherVersion.current
        #expect(current.version == LauncherVersion.packageVersion)
        #expect(current.version.split(separator: ".").count == 3)
        #expect(current.version.split(separator: ".").allSatisfy { Int($0) != nil })
        if let commit = current.commit {
            #expect(commit.count >= 7 && commit.allSatisfy(\.isHexDigit))
        } else {
            // `swift build` / `swift test` never define RUNPOD_LAUNCHER_BUILD_STAMP: no commit, and so never a stale one.
            #expect(!current.modified)
        }
    }

    @Test("--version prints this build's version on stdout and exits 0, with no key and no network")
    func versionOption() async throws {
        let result = try await runInProcess(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .newlines) == LauncherVersion.current.description)
        #expect(result.stderr.isEmpty)
    }

    @Test("the version encodes as the JSON a service's /healthz or doctor --json carries, and decodes back")
    func json() throws {
        let version = LauncherVersion(version: "1.2.3", commit: "abc1234", modified: true)
        let object = try jsonObject(String(decoding: try JSONEncoder().encode(version), as: UTF8.self))
        #expect(object["version"] as? String == "1.2.3")
        #expect(object["commit"] as? String == "abc1234")
        #expect(object["modified"] as? Bool == true)
        #expect(try JSONDecoder().decode(LauncherVersion.self, from: try JSONEncoder().encode(version)) == version)
    }

    @Test("doctor --json reports the version beside its checks, even when a check fails")
    func doctorReportsTheVersion() async throws {
        // No key anywhere: doctor fails its first check without a network call, and still says which build it is.
        let result = try await runInProcess(["doctor", "--json"], environment: ["RUNPOD_API_BASE_URL": "http://127.0.0.1:9"])
        #expect(result.status == 77)
        let version = try #require(try jsonObject(result.stdout)["version"] as? [String: Any])
        #expect(version["version"] as? String == LauncherVersion.current.version)
    }
}
