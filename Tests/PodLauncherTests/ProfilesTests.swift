import Foundation
import PodLauncher
import Testing

@Suite("launch profiles file")
struct ProfilesTests {
    static let good = """
        # ComfyUI on whichever of our two volumes has a GPU.
        [comfyui]
        image = "bilunsun/comfyuiprod:pod-test-0"
        gpus = ["NVIDIA GeForce RTX 4090", "NVIDIA A40"]
        gpu-count = 2
        network-volumes = ["rp-vol-comfyui01", "rp-vol-datasets02"]
        ports = ["8188/http", "22/tcp"]
        container-disk = 80
        timeout = "10m"
        ready-path = "/system_stats"
        cloud-type = "secure"
        max-lifetime = "2h"
        max-cost = 5
        wait-for-capacity = 900
        start-command = "python main.py --listen"
        pod-side-deadline = true

        [comfyui.env]
        HF_HOME = "/workspace/hf"

        [bare]
        """

    func parse(_ text: String) throws(ProfileError) -> LaunchProfiles {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("profiles-\(UUID().uuidString).toml")
        try? text.write(to: url, atomically: true, encoding: .utf8)
        return try LaunchProfiles.load(path: url.path)
    }

    @Test("every key is read with its type; profiles keep file order")
    func parsesEveryKey() throws {
        let file = try parse(Self.good)
        #expect(file.profiles.map(\.name) == ["comfyui", "bare"])
        let p = try file.profile(named: "comfyui")
        #expect(p.line == 2)
        #expect(p.image == "bilunsun/comfyuiprod:pod-test-0")
        #expect(p.gpuTypeIDs == ["NVIDIA GeForce RTX 4090", "NVIDIA A40"])
        #expect(p.gpuCount == 2)
        #expect(p.networkVolumeIDs == ["rp-vol-comfyui01", "rp-vol-datasets02"])
        #expect(p.ports == [PortSpec(port: 8188, protocol: .http), PortSpec(port: 22, protocol: .tcp)])
        #expect(p.containerDiskGB == 80)
        #expect(p.timeout == .seconds(600))
        #expect(p.readyPath == "/system_stats")
        #expect(p.cloudType == .secure)
        #expect(p.maxLifetime == .seconds(7200))
        #expect(p.maxCost == 5)
        #expect(p.waitForCapacity == .seconds(900))
        #expect(p.startCommand == "python main.py --listen")
        #expect(p.podSideDeadline == true)
        #expect(p.env == ["HF_HOME": "/workspace/hf"])
        #expect(try file.profile(named: "bare").settings.isEmpty)
    }

    @Test(
        "a malformed file names the line and the key, and what was expected",
        arguments: [
            ("[a]\nimage = \"x\"\ngpu = [\"NVIDIA A40\"]\n", 3, "a.gpu", "unknown key. Did you mean 'gpus'?"),
            ("[a]\ngpu-count = \"2\"\n", 2, "a.gpu-count", "expected an integer, got a string"),
            ("[a]\n\nports = [\"8188/http\", \"99999\"]\n", 3, "a.ports", "'99999' is not a port"),
            ("[a]\ntimeout = \"ten minutes\"\n", 2, "a.timeout", "is not a duration"),
            ("[a]\ncloud-type = \"CHEAP\"\n", 2, "a.cloud-type", "must be ALL, SECURE or COMMUNITY"),
            ("[a]\nmax_lifetime = \"2h\"\n", 2, "a.max_lifetime", "Did you mean 'max-lifetime'?"),
            ("[a]\n[a.env]\nHF_HOME = 3\n", 3, "a.env.HF_HOME", "expected a string, got an integer"),
            ("image = \"x\"\n[a]\n", 1, "image", "outside any profile"),
            ("[a]\nnetwork-volume = \"v1\"\nnetwork-volumes = [\"v2\"]\n", 3, "a.network-volumes", "conflicts with network-volume"),
            ("[a]\npod-side-deadline = true\n", 2, "a.pod-side-deadline", "needs start-command"),
            ("[a]\nimage = \n", 2, nil, "not valid TOML"),
        ] as [(String, Int, String?, String)])
    func malformed(text: String, line: Int, key: String?, message: String) {
        let error = #expect(throws: ProfileError.self) { try parse(text) }
        #expect(error?.line == line, "\(String(describing: error))")
        #expect(error?.key == key)
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        #expect(error?.description.contains("line \(line)") == true)
    }

    @Test("an unknown profile name suggests the closest; a missing file says so")
    func unknownProfileAndMissingFile() throws {
        let file = try parse(Self.good)
        let error = #expect(throws: ProfileError.self) { try file.profile(named: "comfy") }
        #expect(error?.description.contains("has no profile 'comfy'") == true)
        #expect(error?.description.contains("Did you mean 'comfyui'?") == true)
        let missing = #expect(throws: ProfileError.self) { try LaunchProfiles.load(path: "/nonexistent/profiles.toml") }
        #expect(missing?.description.contains("does not exist") == true)
    }

    @Test("the default file honours XDG_CONFIG_HOME, else ~/.config")
    func defaultPath() {
        #expect(LaunchProfiles.defaultPath(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/runpod-launcher/profiles.toml")
        #expect(LaunchProfiles.defaultPath(environment: ["HOME": "/h"]) == "/h/.config/runpod-launcher/profiles.toml")
        #expect(LaunchProfiles.defaultPath(environment: [:]) == nil)
    }
}
