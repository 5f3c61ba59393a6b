import Foundation
import NIOCore
import PodLauncher
import Testing

@testable import PodService

@Suite("POST /v1/pods body")
struct LaunchRequestTests {
    func parse(_ json: String) throws(Problem) -> LaunchRequest {
        try LaunchRequest.parse(Data(json.utf8))
    }

    /// The problem `json` is refused with.
    func refusal(_ json: String) -> Problem? {
        do {
            _ = try parse(json)
            return nil
        } catch {
            return error
        }
    }

    /// The `pointer: detail` list of the 422 for `json` (empty when it parses).
    func errors(_ json: String) -> [String] {
        (refusal(json)?.errors ?? []).map(\.description)
    }

    func pointers(_ json: String) -> [String] {
        (refusal(json)?.errors ?? []).compactMap(\.pointer)
    }

    /// A profiles.toml in a fresh temporary directory, read as the service reads it at start.
    func profiles(_ text: String) throws -> LaunchProfiles {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("launch-request-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("profiles.toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try LaunchProfiles.load(path: path)
    }

    static let comfyui = """
        [comfyui]
        image = "bilunsun/comfyuiprod:pod-test-0"
        gpus = ["NVIDIA GeForce RTX 4090", "NVIDIA A40"]
        gpu-count = 2
        cloud-type = "SECURE"
        network-volume = "rp-vol-profile"
        ports = ["8188/http", "22/tcp"]
        timeout = "10m"
        ready-path = "/system_stats"
        max-lifetime = "2h"
        max-cost = 5

        [comfyui.env]
        HF_HOME = "/workspace/hf"
        COMFY_ARGS = "--lowvram"

        [community]
        cloud-type = "COMMUNITY"
        no-network-volume = true

        [stamped]
        [stamped.env]
        RUNPOD_LAUNCHER_LAUNCH_ID = "0f3c9a5e7b2d4c6e8a1b3d5f7e9c0a2b"
        """

    // MARK: - Every error, with its pointer

    @Test("a body with many mistakes gets one 422 listing every one at its JSON Pointer, in body order")
    func everyErrorListed() throws {
        let body = """
            {"gpus": ["NVIDIA A40", 5, "NVIDIA A40", " "], "gpuCount": 0, "cloudType": "secure",
             "ports": ["8188/http", "0", "80/udp", "8188", "65536"],
             "env": {"RUNPOD_LAUNCHER_LAUNCH_ID": "x", "A=B": "x", "": "y", "OK": 5},
             "timeoutSeconds": 86401, "maxLifetimeSeconds": 1.5, "maxCostUsd": 0, "nmae": "x", "image": " \\t"}
            """
        let problem = try #require(refusal(body))
        #expect(problem.status == .unprocessableContent)
        #expect(problem.type == "urn:runpod-launcher:problem:validation")
        #expect(
            pointers(body) == [
                "#/gpus/1", "#/gpus/2", "#/gpus/3", "#/gpuCount", "#/cloudType", "#/ports/1", "#/ports/2", "#/ports/3", "#/ports/4",
                "#/env/RUNPOD_LAUNCHER_LAUNCH_ID", "#/env/A=B", "#/env/", "#/env/OK", "#/timeoutSeconds", "#/maxLifetimeSeconds", "#/maxCostUsd",
                "#/nmae", "#/image",
            ])
        #expect(problem.detail == "18 errors in the request body.")
        let listed = errors(body)
        #expect(listed.contains("#/gpus/2: repeats #/gpus/0"))
        #expect(listed.contains("#/gpuCount: must be an integer ≥ 1 (got 0)"))
        #expect(listed.contains("#/cloudType: must be one of ALL, SECURE, COMMUNITY (got a string)"))
        #expect(listed.contains("#/ports/3: repeats port 8188 of #/ports/0"))
        #expect(listed.contains("#/timeoutSeconds: must be an integer from 1 to 86400 (got 86401)"))
        #expect(listed.contains("#/maxLifetimeSeconds: must be an integer ≥ 1 (got 1.5)"))
        #expect(listed.contains("#/nmae: is not a field of a launch request (did you mean 'name'?)"))
    }

    @Test("unknown fields are refused, each at its own pointer")
    func unknownFields() {
        #expect(
            errors(#"{"gpu": ["A"], "maxCostUSD": 1, "podSideDeadline": true}"#) == [
                "#/gpu: is not a field of a launch request (did you mean 'gpus'?)",
                "#/maxCostUSD: is not a field of a launch request (did you mean 'maxCostUsd'?)",
                "#/podSideDeadline: is not a field of a launch request (the fields are profile, name, image, gpus, gpuCount, cloudType, "
                    + "networkVolume, ports, env, timeoutSeconds, maxLifetimeSeconds, maxCostUsd)",
            ])
        #expect(pointers(#"{"name": "a", "name": "b"}"#) == ["#/name"])
        #expect(pointers(#"{"env": {"A": "1", "A": "2"}}"#) == ["#/env/A"])
        // Also when the first of the two was refused.
        #expect(errors(#"{"env": {"A": 5, "A": "x"}}"#) == ["#/env/A: must be a string (got 5)", "#/env/A: appears more than once"])
    }

    @Test(
        "integers must be integers: 1.5, 1e-1, \"1\", true and null are type errors",
        arguments: ["1.5", "1e-1", "\"1\"", "true", "null", "[1]", "{}", "-0", "-1"])
    func integerTypes(value: String) {
        #expect(pointers(#"{"gpuCount": \#(value)}"#) == ["#/gpuCount"])
        #expect(pointers(#"{"timeoutSeconds": \#(value)}"#) == ["#/timeoutSeconds"])
        #expect(pointers(#"{"maxLifetimeSeconds": \#(value)}"#) == ["#/maxLifetimeSeconds"])
    }

    @Test("a number whose fraction is zero is an integer, as JSON Schema says: 600.0 and 6e2 are 600")
    func integralNumbers() throws {
        #expect(try parse(#"{"timeoutSeconds": 600.0}"#).overrides.timeout == .seconds(600))
        #expect(try parse(#"{"timeoutSeconds": 6e2, "gpuCount": 2.0}"#).overrides.gpuCount == 2)
    }

    @Test("huge and tiny integers are errors, not crashes", arguments: ["1e400", "-1e400", "99999999999999999999999999", "1e-400", "0"])
    func hugeIntegers(value: String) {
        #expect(
            pointers(#"{"gpuCount": \#(value), "timeoutSeconds": \#(value), "maxLifetimeSeconds": \#(value)}"#) == [
                "#/gpuCount", "#/timeoutSeconds", "#/maxLifetimeSeconds",
            ])
    }

    @Test("maxCostUsd must be a finite number above 0; a huge one is just a high limit", arguments: ["1e400", "-1e400", "1e-400", "0", "-0.0", "-5"])
    func hugeCosts(value: String) throws {
        #expect(pointers(#"{"maxCostUsd": \#(value)}"#) == ["#/maxCostUsd"])
        #expect(try parse(#"{"maxCostUsd": 99999999999999999999999999}"#).overrides.maxCost == 1e26)
    }

    @Test("the limits' edges: timeoutSeconds 1 to 86400, maxCostUsd above 0")
    func edges() throws {
        #expect(try parse(#"{"timeoutSeconds": 86400}"#).overrides.timeout == .seconds(86_400))
        #expect(try parse(#"{"timeoutSeconds": 1}"#).overrides.timeout == .seconds(1))
        #expect(pointers(#"{"timeoutSeconds": 0}"#) == ["#/timeoutSeconds"])
        #expect(try parse(#"{"maxCostUsd": 0.001}"#).overrides.maxCost == 0.001)
        #expect(try parse(#"{"maxCostUsd": 3}"#).overrides.maxCost == 3)
        #expect(pointers(#"{"maxCostUsd": -1}"#) == ["#/maxCostUsd"])
        #expect(pointers(#"{"maxCostUsd": "1"}"#) == ["#/maxCostUsd"])
        #expect(try parse(#"{"maxLifetimeSeconds": 9223372036854775807}"#).overrides.maxLifetime == .seconds(Int.max))
    }

    @Test("strings: empty, blank, wrong type and empty arrays are refused where the contract says so")
    func strings() {
        #expect(
            pointers(#"{"profile": "", "name": "", "image": "\u00a0", "gpus": [], "ports": [], "networkVolume": ""}"#) == [
                "#/profile", "#/name", "#/image", "#/gpus", "#/ports", "#/networkVolume",
            ])
        #expect(
            pointers(#"{"name": 5, "gpus": "NVIDIA A40", "env": ["A=1"], "networkVolume": 7, "ports": [8188]}"#) == [
                "#/name", "#/gpus", "#/env", "#/networkVolume", "#/ports/0",
            ])
        #expect(errors(#"{"networkVolume": 7}"#) == ["#/networkVolume: must be a string or null (got 7)"])
    }

    @Test("ports follow the contract's pattern exactly", arguments: ["+80", "080", "80/HTTP", "80/", "/http", "80/http/x", " 80", "99999", "65536"])
    func badPorts(text: String) {
        #expect(pointers(#"{"ports": ["\#(text)"]}"#) == ["#/ports/0"])
    }

    @Test("good ports become PortSpecs; a bare port is http")
    func goodPorts() throws {
        let request = try parse(#"{"ports": ["8188", "22/tcp", "65535/http"]}"#)
        #expect(
            request.overrides.ports == [
                PortSpec(port: 8188, protocol: .http), PortSpec(port: 22, protocol: .tcp), PortSpec(port: 65535, protocol: .http),
            ])
    }

    @Test(
        "env names beginning RUNPOD_LAUNCHER are the service's stamps and are refused",
        arguments: ["RUNPOD_LAUNCHER", "RUNPOD_LAUNCHER_LAUNCH_ID", "RUNPOD_LAUNCHER_SERVICE", "RUNPOD_LAUNCHER_X"])
    func reservedEnv(name: String) throws {
        let listed = errors(#"{"env": {"\#(name)": "1", "MY_RUNPOD_LAUNCHER": "2"}}"#)
        #expect(listed.count == 1)
        #expect(listed.first?.hasPrefix("#/env/\(name): names beginning RUNPOD_LAUNCHER are reserved") == true)
    }

    @Test("pointers escape ~ and / (RFC 6901) and percent-encode what a URI fragment cannot hold")
    func pointerEscaping() {
        #expect(pointers(#"{"env": {"A/B~C=": "x", "MY VAR=": "y", "É=": "z"}}"#) == ["#/env/A~1B~0C=", "#/env/MY%20VAR=", "#/env/%C3%89="])
    }

    // MARK: - Malformed bodies are 400s

    @Test(
        "malformed JSON, or a top level that is not an object, is a 400 and not a 422",
        arguments: [
            "{", "{\"name\": \"a\",}", "{'name': 'a'}", "[]", "null", "\"text\"", "42", "{} {}", "{\"a\":1} x", "{\"a\": tru}", "{\"a\": 01}",
            "{\"a\": 1.}", "{\"a\": \"\\ud800\"}", "{\"a\": \"\\x\"}", "{\"a\": \"tab\there\"}", "// c\n{}", " ",
        ])
    func malformed(json: String) throws {
        let problem = try #require(refusal(json))
        #expect(problem.status == .badRequest)
        #expect(problem.errors == nil)
    }

    @Test("bytes that are not UTF-8 are a 400")
    func notUTF8() throws {
        var bytes = Array(#"{"name": "x"#.utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(#""}"#.utf8)
        #expect(throws: Problem.badRequest("The body is not valid JSON: a string is not valid UTF-8 at byte 9.")) {
            try LaunchRequest.parse(Data(bytes))
        }
    }

    @Test("nesting deeper than any request needs is refused without exhausting the stack")
    func deepNesting() throws {
        let deep = "{\"env\": " + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "}"
        #expect(try #require(refusal(deep)).status == .badRequest)
        // Within the limit, it is just a wrong type.
        #expect(pointers("{\"env\": [[[[1]]]]}") == ["#/env"])
    }

    @Test("an empty body is the same as {}")
    func emptyBody() throws {
        let request = try LaunchRequest.parse(ByteBuffer())
        #expect(request == LaunchRequest())
        #expect(request.canonicalJSON == "{}")
        #expect(try LaunchRequest.canonicalJSON(of: ByteBuffer()) == "{}")
    }

    @Test("more than 100 errors: the first 100 listed, the count in detail")
    func manyErrors() throws {
        let fields = (0..<150).map { "\"f\($0)\": 1" }.joined(separator: ", ")
        let problem = try #require(refusal("{\(fields)}"))
        #expect(problem.errors?.count == 100)
        #expect(problem.detail == "150 errors in the request body (the first 100 are listed).")
    }

    // MARK: - Values kept exactly

    @Test("a hostile name and env values are kept exactly: nothing trimmed, unescaped or escaped")
    func hostileValuesKept() throws {
        let name = " 💥 \"; rm -rf / $(reboot) `id` \u{0} \n\t\\ <script> %s {{x}} \u{202E}"
        let value = "line1\nline2\r\n\"quoted\" 'single' $HOME ${PATH} \\ \u{0001} ünïcödé 🧪 "
        let body = try JSONSerialization.data(withJSONObject: ["name": name, "env": ["EVIL ; x": value, "E": ""]])
        let request = try LaunchRequest.parse(body)
        #expect(request.overrides.name == name)
        #expect(request.overrides.env == ["EVIL ; x": value, "E": ""])
        let plan = try request.resolve(profiles: nil, environment: [:])
        #expect(plan.spec.name == name)
        #expect(plan.spec.env["EVIL ; x"] == value)
    }

    @Test("escapes decode to the characters they name, surrogate pairs included")
    func escapes() throws {
        let request = try parse(#"{"name": "\u0041\u00e9\ud83e\uddea\/\b\f\n\r\t\"\\"}"#)
        #expect(request.overrides.name == "Aé🧪/\u{8}\u{c}\n\r\t\"\\")
    }

    // MARK: - Canonical JSON for Idempotency-Key

    @Test("bodies compare as parsed JSON: key order, whitespace, escapes and number spelling do not matter")
    func canonicalEquality() throws {
        let a = try parse(#"{"name":"A","maxCostUsd":2.5,"gpuCount":1,"env":{"B":"1","A":"2"}}"#)
        let b = try parse(#"  { "env" : { "A" : "2", "B" : "1" }, "gpuCount": 1, "maxCostUsd": 2.50, "name": "\u0041" }  "#)
        let c = try parse(#"{"name":"A","maxCostUsd":25e-1,"gpuCount":1,"env":{"A":"2","B":"1"}}"#)
        #expect(a.canonicalJSON == b.canonicalJSON)
        #expect(a.canonicalJSON == c.canonicalJSON)
        #expect(a.canonicalJSON == #"{"env":{"A":"2","B":"1"},"gpuCount":1,"maxCostUsd":2.5,"name":"A"}"#)
        let different = try parse(#"{"name":"A","maxCostUsd":2.5,"gpuCount":1,"env":{"B":"1","A":"3"}}"#)
        #expect(a.canonicalJSON != different.canonicalJSON)
        #expect(try parse(#"{"maxCostUsd": 3}"#).canonicalJSON == (try parse(#"{"maxCostUsd": 3.0}"#).canonicalJSON))
        #expect(try parse(#"{"gpus": ["a", "b"]}"#).canonicalJSON != (try parse(#"{"gpus": ["b", "a"]}"#).canonicalJSON))
    }

    @Test("the canonical form exists for invalid bodies too (the key is checked before the fields), not for malformed ones")
    func canonicalOfInvalid() throws {
        #expect(
            try LaunchRequest.canonicalJSON(of: ByteBuffer(string: #"{ "b": [1, {"y": null, "x": true}], "a": "\n" }"#))
                == #"{"a":"\n","b":[1,{"x":true,"y":null}]}"#)
        #expect(throws: Problem.self) { try LaunchRequest.canonicalJSON(of: ByteBuffer(string: "{")) }
    }

    // MARK: - Resolving against profiles

    @Test("body fields override the profile's; env is merged over it; the rest comes from the profile")
    func profileOverridden() throws {
        let file = try profiles(Self.comfyui)
        let request = try parse(
            #"{"profile": "comfyui", "name": "job-1", "gpus": ["NVIDIA RTX A6000"], "env": {"COMFY_ARGS": "--highvram", "X": "1"}, "timeoutSeconds": 900, "maxCostUsd": 2.5}"#
        )
        let plan = try request.resolve(profiles: file, environment: ["RUNPOD_NETWORK_VOLUME_ID": "rp-vol-env"])
        #expect(plan.spec.name == "job-1")
        #expect(plan.spec.gpuTypeIDs == ["NVIDIA RTX A6000"])
        #expect(plan.spec.env == ["HF_HOME": "/workspace/hf", "COMFY_ARGS": "--highvram", "X": "1"])
        #expect(plan.timeoutSeconds == 900)
        #expect(plan.maxCostUSD == 2.5)
        // From the profile.
        #expect(plan.spec.gpuCount == 2)
        #expect(plan.spec.cloudType == .secure)
        #expect(plan.spec.networkVolumeID == "rp-vol-profile")
        #expect(plan.spec.ports == [PortSpec(port: 8188, protocol: .http), PortSpec(port: 22, protocol: .tcp)])
        #expect(plan.maxLifetimeSeconds == 7200)
        #expect(plan.readyPath == "/system_stats")
        #expect(plan.spec.image == "bilunsun/comfyuiprod:pod-test-0")
    }

    @Test("networkVolume: null launches without a volume, whatever the profile and the environment say")
    func nullVolume() throws {
        let file = try profiles(Self.comfyui)
        let request = try parse(#"{"profile": "comfyui", "networkVolume": null}"#)
        #expect(request.overrides.noNetworkVolume)
        let plan = try request.resolve(profiles: file, environment: ["RUNPOD_NETWORK_VOLUME_ID": "rp-vol-env"])
        #expect(plan.spec.networkVolumeID == nil)
        #expect(plan.networkVolumeIDs.isEmpty)
        #expect(try parse("{}").resolve(profiles: nil, environment: ["RUNPOD_NETWORK_VOLUME_ID": "rp-vol-env"]).spec.networkVolumeID == "rp-vol-env")
        #expect(try parse("{}").resolve(profiles: nil, environment: [:]).spec.networkVolumeID == Defaults.networkVolumeID)
        let named = try parse(#"{"profile": "comfyui", "networkVolume": "rp-vol-body"}"#)
        #expect(try named.resolve(profiles: file, environment: [:]).spec.networkVolumeID == "rp-vol-body")
    }

    @Test("no profile and no fields: the defaults, with a generated name ending in the launch ID's first digits")
    func defaults() throws {
        let plan = try LaunchRequest().resolve(profiles: nil, environment: [:], launchID: "0f3c9a5e7b2d4c6e8a1b3d5f7e9c0a2b")
        let name = try #require(plan.spec.name)
        #expect(name.hasPrefix("comfyui-"))
        #expect(name.hasSuffix("-0f3c"))
        #expect(plan.spec.gpuTypeIDs == Defaults.gpuTypeIDs)
        #expect(plan.timeoutSeconds == 300)
        #expect(plan.maxLifetimeSeconds == nil)
        #expect(plan.maxCostUSD == nil)
        #expect(plan.probeApp)
    }

    @Test("an unknown profile is a 422 at #/profile naming the profiles there are")
    func unknownProfile() throws {
        let file = try profiles(Self.comfyui)
        #expect(throws: Problem.self) { try parse(#"{"profile": "comfyuii"}"#).resolve(profiles: file, environment: [:]) }
        do {
            _ = try parse(#"{"profile": "comfyuii"}"#).resolve(profiles: file, environment: [:])
        } catch {
            #expect(error.status == .unprocessableContent)
            #expect(error.errors?.map(\.pointer) == ["#/profile"])
            #expect(error.errors?.first?.detail.contains("Did you mean 'comfyui'?") == true)
        }
        do {
            _ = try parse(#"{"profile": "comfyui"}"#).resolve(profiles: nil, environment: [:])
            Issue.record("a profile resolved without a profiles file")
        } catch {
            #expect(error.errors?.map(\.pointer) == ["#/profile"])
        }
    }

    @Test("parsing and resolving in one step lists body errors and an unknown profile in one 422")
    func oneStep() throws {
        let file = try profiles(Self.comfyui)
        do {
            _ = try LaunchRequest.resolve(body: ByteBuffer(string: #"{"profile": "nope", "gpuCount": 0}"#), profiles: file, environment: [:])
            Issue.record("an invalid body resolved")
        } catch {
            #expect(error.errors?.compactMap(\.pointer) == ["#/gpuCount", "#/profile"])
        }
        let (request, plan) = try LaunchRequest.resolve(
            body: ByteBuffer(string: #"{"profile": "comfyui"}"#), profiles: file, environment: [:], launchID: "abcd0000000000000000000000000000")
        #expect(request.profile == "comfyui")
        #expect(plan.spec.name?.hasSuffix("-abcd") == true)
    }

    @Test("Community Cloud with a network volume is refused at the body field that asked for it")
    func communityWithVolume() throws {
        let file = try profiles(Self.comfyui)
        func pointer(_ json: String, environment: [String: String] = [:]) -> String? {
            do {
                _ = try parse(json).resolve(profiles: file, environment: environment)
                return nil
            } catch {
                return error.errors?.first?.pointer
            }
        }
        #expect(pointer(#"{"profile": "comfyui", "cloudType": "COMMUNITY"}"#) == "#/cloudType")
        #expect(pointer(#"{"cloudType": "COMMUNITY"}"#) == "#/cloudType")
        #expect(pointer(#"{"profile": "community", "networkVolume": "rp-vol-x"}"#) == "#/networkVolume")
        // The profile's own choice of no volume, or null, makes Community Cloud fine.
        #expect(pointer(#"{"profile": "community"}"#) == nil)
        #expect(pointer(#"{"cloudType": "COMMUNITY", "networkVolume": null}"#) == nil)
    }

    @Test("a profile that sets the service's stamps in env is refused at #/profile")
    func profileWithStamps() throws {
        let file = try profiles(Self.comfyui)
        do {
            _ = try parse(#"{"profile": "stamped"}"#).resolve(profiles: file, environment: [:])
            Issue.record("a profile setting RUNPOD_LAUNCHER_LAUNCH_ID resolved")
        } catch {
            #expect(error.errors?.map(\.pointer) == ["#/profile"])
            #expect(error.errors?.first?.detail.contains("RUNPOD_LAUNCHER_LAUNCH_ID") == true)
        }
    }
}
