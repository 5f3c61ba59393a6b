import Foundation
import RunPodAPI
import Testing

@Suite("credentials and base URL")
struct CredentialTests {
    func configFile(_ text: String?) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rpl-cred-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("config.toml").path
        if let text { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        return path
    }

    @Test("--api-key beats RUNPOD_API_KEY beats the config file")
    func precedence() throws {
        let path = try configFile("[default]\napi_key = \"from-file\"\n")
        let env = ["RUNPOD_API_KEY": "from-env"]
        let flag = try CredentialResolver(environment: env, configFilePath: path).resolve(flag: "from-flag")
        #expect(flag.key.secret == "from-flag" && flag.source == .flag)
        let fromEnv = try CredentialResolver(environment: env, configFilePath: path).resolve(flag: nil)
        #expect(fromEnv.key.secret == "from-env" && fromEnv.source == .environment(variable: "RUNPOD_API_KEY"))
        let fromFile = try CredentialResolver(environment: [:], configFilePath: path).resolve()
        #expect(fromFile.key.secret == "from-file" && fromFile.source == .configFile(path: path, profile: "default"))
    }

    @Test("runpod-python's profiles are chosen by name")
    func pythonProfiles() throws {
        let path = try configFile("[default]\napi_key = \"k-default\"\n\n[work]\napi_key = \"k-work\"\n")
        let resolver = CredentialResolver(environment: [:], configFilePath: path)
        #expect(try resolver.resolve(profile: "work").key.secret == "k-work")
        #expect(try resolver.resolve().key.secret == "k-default")
    }

    @Test("runpodctl's top-level apikey is read")
    func runpodctlShape() throws {
        let path = try configFile("apikey = \"k-ctl\"\napiurl = \"https://api.runpod.io/graphql\"\n")
        let found = try CredentialResolver(environment: [:], configFilePath: path).resolve()
        #expect(found.key.secret == "k-ctl")
        #expect(found.source == .configFile(path: path, profile: nil))
        #expect(found.source.description == "\(path) (apikey)")
    }

    @Test("an unknown profile lists the profiles present")
    func unknownProfile() throws {
        let path = try configFile("[default]\napi_key = \"a\"\n[work]\napi_key = \"b\"\n")
        let error = try #require(throws: ConfigurationError.self) {
            try CredentialResolver(environment: [:], configFilePath: path).resolve(profile: "home")
        }
        #expect(error.kind == .unknownProfile(profile: "home", available: ["default", "work"]))
        #expect(error.message.contains("[default], [work]"))
        #expect(!error.message.contains("\"a\""))
    }

    @Test("an unparseable file is named in the error")
    func unparseable() throws {
        let path = try configFile("[default\napi_key = \"secret-in-broken-file\"\n")
        let error = try #require(throws: ConfigurationError.self) { try CredentialResolver(environment: [:], configFilePath: path).resolve() }
        #expect(error.kind == .unreadableConfigFile(path: path))
        #expect(error.message.contains(path))
        #expect(!error.message.contains("secret-in-broken-file"))
    }

    @Test("no key anywhere says how to set one")
    func noKey() throws {
        let path = try configFile(nil)
        let error = try #require(throws: ConfigurationError.self) { try CredentialResolver(environment: [:], configFilePath: path).resolve() }
        #expect(error.kind == .noAPIKey)
        #expect(error.message.contains("RUNPOD_API_KEY") && error.message.contains("--api-key") && error.message.contains(path))
    }

    @Test("empty values are skipped, not used as keys")
    func emptyValuesSkipped() throws {
        let path = try configFile("[default]\napi_key = \"k-file\"\n")
        let found = try CredentialResolver(environment: ["RUNPOD_API_KEY": "  "], configFilePath: path).resolve(flag: "")
        #expect(found.key.secret == "k-file")
    }

    @Test("the config file is never written")
    func neverWritten() throws {
        let text = "[default]\napi_key = \"k\"\n"
        let path = try configFile(text)
        _ = try CredentialResolver(environment: [:], configFilePath: path).resolve()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
    }

    @Test("base URL: flag beats RUNPOD_API_BASE_URL beats the default")
    func baseURLPrecedence() throws {
        let fallback = URL(string: "https://api.runpod.io")!
        let env = ["RUNPOD_API_BASE_URL": "http://127.0.0.1:8700"]
        #expect(try APIBaseURL.resolve(flag: "http://localhost:1", environment: env, fallback: fallback).absoluteString == "http://localhost:1")
        #expect(try APIBaseURL.resolve(flag: nil, environment: env, fallback: fallback).absoluteString == "http://127.0.0.1:8700")
        #expect(try APIBaseURL.resolve(flag: nil, environment: [:], fallback: fallback) == fallback)
        #expect(throws: ConfigurationError.self) { try APIBaseURL.resolve(flag: "ftp://x", environment: [:], fallback: fallback) }
    }
}
