import Foundation
import Testing

@testable import RunPodEmulator

@Suite("REST v2 createPod: today's contract (entrypoint, cmd, CUDA floor, placement filters)")
struct RESTCreateContractTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let extra: String
        let gpuExtra: String
        let expected: String
        var testDescription: String { label }

        init(_ label: String, extra: String = "", gpu: String = "", _ expected: String) {
            self.label = label
            self.extra = extra
            gpuExtra = gpu
            self.expected = expected
        }

        var body: String {
            #"{"name":"c","image":"img","gpu":{"id":"NVIDIA A40","count":1\#(gpuExtra)}\#(extra)}"#
        }
    }

    static let ruleCases: [Case] = [
        Case(
            "minCudaVersion with a non-empty allowedCudaVersions", gpu: #","minCudaVersion":"12.2","allowedCudaVersions":["12.8"]"#,
            "gpu.allowedCudaVersions and gpu.minCudaVersion are mutually exclusive"),
        Case(
            "args and cmd that disagree", extra: #","args":"python a.py","cmd":["python","b.py"]"#,
            "args and cmd describe different commands; send them together only when they agree"),
        Case(
            "an args object and an entrypoint that disagree", extra: #","args":{"entrypoint":["bash"],"cmd":[]},"entrypoint":["sh"]"#,
            "args and entrypoint describe different commands; send them together only when they agree"),
        Case("args with an unterminated quote", extra: #","args":"echo 'hi""#, "args: unterminated quote or trailing backslash in 'echo 'hi'"),
        Case("a bad port", extra: #","ports":["http/8188"]"#, "invalid port 'http/8188': expected <port>/http or <port>/tcp"),
    ]

    @Test("a cross-field rule broken is 400 saying which, and creates nothing", arguments: ruleCases)
    func crossFieldRule(_ testCase: Case) async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.POST, "/v2/pods", body: testCase.body)
            #expect(answer.status == 400)
            #expect(answer.detail == testCase.expected)
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    static let contractCases: [Case] = [
        Case("minRamPerGpu below 1", gpu: #","minRamPerGpu":0"#, "$.gpu.minRamPerGpu: must be >= 1 but found 0"),
        Case("minVcpuCountPerGpu not an integer", gpu: #","minVcpuCountPerGpu":"2""#, "$.gpu.minVcpuCountPerGpu: expected integer, got string"),
        Case("minCudaVersion as a bare major", gpu: #","minCudaVersion":"12""#, #"$.gpu.minCudaVersion: does not match pattern '^\d+\.\d+$'"#),
        Case("cmd not an array of strings", extra: #","cmd":"python""#, "$.cmd: expected array, got string"),
        Case("entrypoint with a number", extra: #","entrypoint":["sh",1]"#, "$.entrypoint[1]: expected string, got integer"),
        Case("args as another object", extra: #","args":{"command":["x"]}"#, "$.args: additional properties 'command' not allowed"),
    ]

    @Test("a new field of the wrong shape is 422 listing the violation", arguments: contractCases)
    func contract(_ testCase: Case) async throws {
        try await withEmulator { emulator in
            let answer = try await emulator.call(.POST, "/v2/pods", body: testCase.body)
            #expect(answer.status == 422)
            #expect(answer.errors.contains(testCase.expected), "errors were \(answer.errors)")
        }
    }

    struct CommandCase: CustomTestStringConvertible, Sendable {
        let label: String
        let fields: String
        let args: String
        let entrypoint: [String]
        let cmd: [String]
        var testDescription: String { label }
    }

    static let commandCases: [CommandCase] = [
        CommandCase(
            label: "a shell string", fields: #""args":"python main.py --name 'a b'""#, args: "python main.py --name 'a b'",
            entrypoint: [], cmd: ["python", "main.py", "--name", "a b"]),
        CommandCase(
            label: "an args object", fields: #""args":{"entrypoint":["bash","-c"],"cmd":["echo hi"]}"#,
            args: #"{"entrypoint":["bash","-c"],"cmd":["echo hi"]}"#, entrypoint: ["bash", "-c"], cmd: ["echo hi"]),
        CommandCase(
            label: "the arrays alone", fields: #""entrypoint":["/start.sh"],"cmd":["--port","8188"]"#,
            args: #"{"entrypoint":["/start.sh"],"cmd":["--port","8188"]}"#, entrypoint: ["/start.sh"], cmd: ["--port", "8188"]),
        CommandCase(
            label: "args with the cmd it stands for", fields: #""args":"python a.py","cmd":["python","a.py"]"#, args: "python a.py",
            entrypoint: [], cmd: ["python", "a.py"]),
        CommandCase(label: "nothing (the image's own)", fields: #""disk":20"#, args: "", entrypoint: [], cmd: []),
    ]

    @Test("answers carry args as stored with the entrypoint and cmd it stands for", arguments: commandCases)
    func commandConsistency(_ testCase: CommandCase) async throws {
        try await withEmulator { emulator in
            let body = #"{"name":"c","image":"img","gpu":{"id":"NVIDIA A40"},\#(testCase.fields)}"#
            let (created, id) = try await emulator.createPod(body)
            #expect(created.status == 201, "\(created.text)")
            let pod = try await emulator.getPod(id).json
            #expect(pod["args"]?.stringValue == testCase.args)
            #expect(pod["entrypoint"] == .array(testCase.entrypoint.map(JSONValue.string)))
            #expect(pod["cmd"] == .array(testCase.cmd.map(JSONValue.string)))
        }
    }

    static let cudaFloors: [(String, Int)] = [("12.2", 201), ("12.8", 201), ("12.10", 400), ("12.11", 400), ("13.0", 400), ("11.8", 201)]

    @Test("minCudaVersion compares numerically with the machines' 12.8 (12.10 is above 12.8)", arguments: cudaFloors)
    func cudaFloor(floor: String, status: Int) async throws {
        try await withEmulator { emulator in
            let body = #"{"name":"c","image":"img","gpu":{"id":"NVIDIA A40","minCudaVersion":"\#(floor)","allowedCudaVersions":[]}}"#
            let answer = try await emulator.call(.POST, "/v2/pods", body: body)
            #expect(answer.status == status)
            if status == 400 { #expect(answer.detail == noCapacityMessage) }
        }
    }

    static let filters: [(String, Int)] = [
        (#""minRamPerGpu":50"#, 201), (#""minRamPerGpu":51"#, 400), (#""minVcpuCountPerGpu":9"#, 201), (#""minVcpuCountPerGpu":10"#, 400),
    ]

    @Test("minRamPerGpu and minVcpuCountPerGpu filter placement: above what a GPU gets is no capacity", arguments: filters)
    func placementFilters(filter: String, status: Int) async throws {
        try await withEmulator { emulator in
            // The demo A40 machines give each GPU 9 vCPUs and 50 GB of RAM.
            let body = #"{"name":"c","image":"img","gpu":{"id":"NVIDIA A40","count":2,\#(filter)}}"#
            let answer = try await emulator.call(.POST, "/v2/pods", body: body)
            #expect(answer.status == status)
            if status == 201 {
                #expect(answer.json["gpu"]?["vcpuCount"] == 18)
                #expect(answer.json["gpu"]?["memory"] == 100)
            } else {
                #expect(answer.detail == noCapacityMessage)
            }
        }
    }

    @Test("a pod from a template takes its settings, merges env per key (body wins) and keeps no link")
    func template() async throws {
        try await withEmulator { emulator in
            let template = try await emulator.call(
                .POST, "/v2/templates",
                body: #"{"name":"t","image":"runpod/base:1","args":"sleep infinity","ports":["8888/http"],"env":{"A":"t","B":"t"}}"#)
            let id = template.json["id"]?.stringValue ?? ""
            let (answer, _) = try await emulator.createPod(
                #"{"name":"p","templateId":"\#(id)","gpu":{"id":"NVIDIA A40"},"env":{"B":"body"}}"#)
            #expect(answer.status == 201)
            #expect(answer.json["image"] == "runpod/base:1")
            #expect(answer.json["cmd"] == ["sleep", "infinity"])
            #expect(answer.json["env"] == ["A": "t", "B": "body"])
            #expect(answer.json["template"] == .null)
        }
    }

    @Test("a serverless template cannot make a pod (422); an unknown one is 404")
    func templateKinds() async throws {
        try await withEmulator { emulator in
            let serverless = try await emulator.call(
                .POST, "/v2/pods", body: #"{"name":"p","templateId":"worker-vllm-official","gpu":{"id":"NVIDIA A40"}}"#)
            #expect(serverless.status == 422)
            let unknown = try await emulator.call(.POST, "/v2/pods", body: #"{"name":"p","templateId":"nope","gpu":{"id":"NVIDIA A40"}}"#)
            #expect(unknown.status == 404)
        }
    }
}
