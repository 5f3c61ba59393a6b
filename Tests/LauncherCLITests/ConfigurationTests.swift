import Foundation
import LauncherCLI
import Logging
import PodLauncher
import RunPodAPI
import Testing

/// Precedence everywhere: flag > environment > ~/.runpod/config.toml profile > built-in defaults.
@Suite("configuration precedence")
struct ConfigurationTests {
    /// A HOME whose ~/.runpod/config.toml has a [default] and a [work] profile.
    static func homeWithConfig() throws -> URL {
        let home = try temporaryDirectory()
        let directory = home.appendingPathComponent(".runpod")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try """
        [default]
        api_key = "key-from-default-profile"

        [work]
        api_key = "key-from-work-profile"
        """.write(to: directory.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        return home
    }

    static func credential(_ arguments: [String], environment: [String: String]) throws -> ResolvedCredential {
        try Settings.resolve(try Flags.Global.parse(arguments), environment: environment).credential()
    }

    @Test("the --api-key flag beats RUNPOD_API_KEY and the config file")
    func flagWins() throws {
        let home = try Self.homeWithConfig()
        let credential = try Self.credential(["--api-key", "key-from-flag"], environment: ["HOME": home.path, "RUNPOD_API_KEY": "key-from-env"])
        #expect(credential.key.secret == "key-from-flag")
        #expect(credential.source == .flag)
    }

    @Test("RUNPOD_API_KEY beats the config file")
    func environmentBeatsFile() throws {
        let home = try Self.homeWithConfig()
        let credential = try Self.credential(["--profile", "work"], environment: ["HOME": home.path, "RUNPOD_API_KEY": "key-from-env"])
        #expect(credential.key.secret == "key-from-env")
        #expect(credential.source == .environment(variable: "RUNPOD_API_KEY"))
    }

    @Test("the config file's [default] profile is used without --profile, the named one with it")
    func configProfiles() throws {
        let home = try Self.homeWithConfig()
        #expect(try Self.credential([], environment: ["HOME": home.path]).key.secret == "key-from-default-profile")
        let work = try Self.credential(["--profile", "work"], environment: ["HOME": home.path])
        #expect(work.key.secret == "key-from-work-profile")
        guard case .configFile(_, let profile) = work.source else {
            Issue.record("expected a config-file source, got \(work.source)")
            return
        }
        #expect(profile == "work")
    }

    @Test("no key anywhere exits 77 and says where to put one")
    func noKeyExits77() async throws {
        let result = try await runInProcess(["list"], environment: ["HOME": try temporaryDirectory().path])
        #expect(result.status == 77)
        #expect(result.stderr.contains("RUNPOD_API_KEY"))
        #expect(result.stdout.isEmpty)
    }

    @Test("an unknown --profile is a usage error naming the profiles present")
    func unknownProfile() async throws {
        let home = try Self.homeWithConfig()
        let result = try await runInProcess(["list", "--profile", "nope"], environment: ["HOME": home.path])
        #expect(result.status == 64)
        #expect(result.stderr.contains("[work]"))
        #expect(!result.allOutput.contains("key-from"))
    }

    @Test("the API URL: --api-url > RUNPOD_API_BASE_URL > https://api.runpod.io")
    func apiURLPrecedence() throws {
        let environment = ["RUNPOD_API_BASE_URL": "http://env.example:1"]
        #expect(
            try Settings.resolve(Flags.Global.parse(["--api-url", "http://flag.example:2"]), environment: environment).apiBaseURL.absoluteString
                == "http://flag.example:2")
        #expect(try Settings.resolve(Flags.Global.parse([]), environment: environment).apiBaseURL.absoluteString == "http://env.example:1")
        #expect(try Settings.resolve(Flags.Global.parse([]), environment: [:]).apiBaseURL == Defaults.apiBaseURL)
    }

    @Test("the network volume: --network-volume > RUNPOD_NETWORK_VOLUME_ID > Defaults.networkVolumeID; none with --no-network-volume")
    func networkVolumePrecedence() {
        let environment = ["RUNPOD_NETWORK_VOLUME_ID": "vol-env"]
        func volumes(flag: String?, disabled: Bool, environment: [String: String]) -> [String] {
            var overrides = LaunchOverrides()
            overrides.networkVolumeID = flag
            overrides.noNetworkVolume = disabled
            return LaunchPlan.networkVolumes(profile: nil, overrides: overrides, environment: environment)
        }
        #expect(volumes(flag: "vol-flag", disabled: false, environment: environment) == ["vol-flag"])
        #expect(volumes(flag: nil, disabled: false, environment: environment) == ["vol-env"])
        #expect(volumes(flag: nil, disabled: false, environment: [:]) == [Defaults.networkVolumeID])
        #expect(volumes(flag: nil, disabled: true, environment: environment).isEmpty)
    }

    @Test("the proxy template comes from RUNPOD_LAUNCHER_PROXY_URL, else RunPod's proxy")
    func proxyTemplate() throws {
        let custom = "http://127.0.0.1:9/proxy/{podId}-{port}"
        #expect(try Settings.resolve(Flags.Global.parse([]), environment: ["RUNPOD_LAUNCHER_PROXY_URL": custom]).proxyURLTemplate == custom)
        #expect(try Settings.resolve(Flags.Global.parse([]), environment: [:]).proxyURLTemplate == Defaults.proxyURLTemplate)
    }

    @Test("log level: -v/-vv/-vvv beat RUNPOD_LAUNCHER_LOG_LEVEL, which beats the warning default")
    func logLevelPrecedence() throws {
        let environment = ["RUNPOD_LAUNCHER_LOG_LEVEL": "error"]
        #expect(try Settings.resolve(Flags.Global.parse(["-v"]), environment: environment).logLevel == .info)
        #expect(try Settings.resolve(Flags.Global.parse(["-vv"]), environment: environment).logLevel == .debug)
        #expect(try Settings.resolve(Flags.Global.parse(["-v", "-v", "-v"]), environment: environment).logLevel == .trace)
        #expect(try Settings.resolve(Flags.Global.parse([]), environment: environment).logLevel == .error)
        #expect(try Settings.resolve(Flags.Global.parse([]), environment: [:]).logLevel == .warning)
    }
}
