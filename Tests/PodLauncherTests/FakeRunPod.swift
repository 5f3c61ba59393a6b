import Foundation
import Logging
import PodLauncher
import RunPodAPI
import Synchronization
import TestSupport

/// A scripted RunPod for unit tests: volumes, a catalog, pods, and a script for what `createPod` answers.
final class FakeRunPod: HTTPTransport {
    enum CreateStep: Sendable {
        case created
        case problem(Int, String, retryAfter: Int? = nil, errors: [String]? = nil)
        /// RunPod creates the pod, then the connection drops before the answer.
        case dropAfterApply
        /// The connection fails before anything is sent.
        case refuse
        /// RunPod creates the pod, and the caller is cancelled before it reads the answer.
        case createAndCancelCaller
    }

    struct GPU: Sendable {
        var id: String
        var secure = true
        var community = true
        var overall: String = "HIGH"
        var dataCenters: [String: String] = [:]
    }

    struct State {
        var volumes: [String: String] = ["vol1": "EU-RO-1"]
        var gpus: [GPU] = []
        var createScript: [CreateStep] = []
        /// Statuses successive `getPod` reads of a pod go through; the last one repeats.
        var statusScript: [String] = ["RUNNING"]
        var pods: [String: [String: Any]] = [:]
        var reads: [String: Int] = [:]
        var deleted: Set<String> = []
        var requests: [HTTPRequest] = []
        var createBodies: [[String: Any]] = []
        var nextID = 1
        /// Cancel the calling task on this (1-based) read of a pod.
        var cancelCallerOnRead: Int?
    }

    let state: Mutex<State>

    init(gpus: [GPU], createScript: [CreateStep] = [], statusScript: [String] = ["RUNNING"]) {
        var state = State()
        state.gpus = gpus
        state.createScript = createScript
        state.statusScript = statusScript
        self.state = Mutex(state)
    }

    var requests: [HTTPRequest] { state.withLock { $0.requests } }
    var createBodies: [[String: Any]] { state.withLock { $0.createBodies } }
    func count(_ method: String, _ pathPrefix: String) -> Int {
        requests.filter { $0.method == method && $0.url.path.hasPrefix(pathPrefix) }.count
    }
    var creates: Int { count("POST", "/v2/pods") }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Task.checkCancellation()
        let (response, cancel) = try state.withLock { state -> (HTTPResponse, Bool) in
            state.requests.append(request)
            if request.method == "POST", case .createAndCancelCaller? = state.createScript.first {
                state.createScript[0] = .created
                return (try route(request, &state), true)
            }
            let response = try route(request, &state)
            let reads = state.reads.values.reduce(0, +)
            let cancel = request.method == "GET" && request.url.path.hasPrefix("/v2/pods/") && reads == state.cancelCallerOnRead
            if cancel { state.cancelCallerOnRead = nil }  // one signal, not one per later read
            return (response, cancel)
        }
        if cancel {
            withUnsafeCurrentTask { $0?.cancel() }
            throw CancellationError()
        }
        return response
    }

    private func route(_ request: HTTPRequest, _ state: inout State) throws -> HTTPResponse {
        let path = request.url.path.split(separator: "/").map(String.init)  // ["v2", …]
        let rest = Array(path.dropFirst())
        let id = rest.count == 2 ? rest[1] : ""
        let route = request.method + " " + (rest.count == 2 && rest[0] != "catalog" ? rest[0] + "/:id" : rest.joined(separator: "/"))
        switch route {
        case "GET network-volumes/:id":
            guard let dc = state.volumes[id] else { return problemResponse(404, "Not Found", "network volume not found") }
            return ok(["id": id, "name": "models", "size": 100, "dataCenter": dc, "type": "STANDARD"])
        case "GET catalog/gpus":
            let gpus = state.gpus.map { gpu -> [String: Any] in
                [
                    "id": gpu.id, "name": gpu.id, "pool": NSNull(), "manufacturer": "NVIDIA", "memory": 24, "secure": gpu.secure,
                    "community": gpu.community, "price": ["secure": 0.5, "community": 0.3], "maxCount": 8, "availability": gpu.overall,
                    "dataCenters": gpu.dataCenters.map { ["id": $0.key, "name": $0.key, "availability": $0.value] },
                ]
            }
            return ok(["gpus": gpus])
        case "POST pods":
            let body = (try? JSONSerialization.jsonObject(with: request.body ?? Data()) as? [String: Any]) ?? [:]
            state.createBodies.append(body)
            let step = state.createScript.isEmpty ? .created : state.createScript.removeFirst()
            switch step {
            case .created:
                return ok(makePod(body, &state), status: 201)
            case .dropAfterApply:
                _ = makePod(body, &state)
                throw TransportError(
                    kind: .connectionLost, requestMayHaveBeenSent: true, message: "the server closed the connection before answering")
            case .createAndCancelCaller:
                return ok(makePod(body, &state), status: 201)
            case .refuse:
                throw TransportError(kind: .connect, requestMayHaveBeenSent: false, message: "connection refused")
            case .problem(let status, let detail, let retryAfter, let errors):
                var doc: [String: Any] = ["title": "Error", "status": status, "detail": detail]
                if let errors { doc["errors"] = errors }
                var response = ok(doc, status: status)
                if let retryAfter { response.headers.append(("Retry-After", String(retryAfter))) }
                return response
            }
        case "GET pods":
            return ok(["pods": state.pods.values.sorted { "\($0["id"] ?? "")" < "\($1["id"] ?? "")" }.map { view($0, state) }])
        case "GET pods/:id":
            guard var pod = state.pods[id] else { return problemResponse(404, "Not Found", "pod not found") }
            if state.deleted.contains(id) { return problemResponse(404, "Not Found", "pod not found") }
            let read = state.reads[id, default: 0]
            state.reads[id] = read + 1
            let status: String = state.statusScript[min(read, state.statusScript.count - 1)]
            pod["status"] = status
            state.pods[id] = pod
            return ok(view(pod, state))
        case "DELETE pods/:id":
            guard state.pods[id] != nil, !state.deleted.contains(id) else { return problemResponse(404, "Not Found", "pod not found") }
            state.deleted.insert(id)
            return HTTPResponse(status: 204)
        default:
            return problemResponse(404, "Not Found", "no route \(request.method) \(request.url.path)")
        }
    }

    private func makePod(_ body: [String: Any], _ state: inout State) -> [String: Any] {
        let id = "pod\(state.nextID)"
        state.nextID += 1
        var pod = body
        pod["id"] = id
        pod["status"] = "PROVISIONING"
        pod["dataCenterId"] = (body["dataCenterIds"] as? [String])?.first ?? "US-TX-3"
        pod["cost"] = 0.5
        state.pods[id] = pod
        return view(pod, state)
    }

    private func view(_ pod: [String: Any], _ state: State) -> [String: Any] {
        var out = pod
        out.removeValue(forKey: "dataCenterIds")
        if let id = pod["id"] as? String, state.deleted.contains(id) { out["status"] = "TERMINATED" }
        if out["status"] as? String == "RUNNING" {
            out["runtime"] = ["uptime": 1, "ports": [["private": 8188, "public": NSNull(), "type": "http", "ip": NSNull()]]]
            out["ssh"] = ["proxy": ["host": "ssh.runpod.io", "port": 22, "username": "u", "command": "ssh u@ssh.runpod.io"], "direct": NSNull()]
        } else {
            out["runtime"] = NSNull()
        }
        return out
    }

    private func ok(_ object: [String: Any], status: Int = 200) -> HTTPResponse {
        let data: Data
        do { data = try JSONSerialization.data(withJSONObject: object) } catch {
            fatalError(
                "fake cannot encode \(object.filter { !JSONSerialization.isValidJSONObject(["k": $0.value]) }.map { "\($0.key): \(type(of: $0.value))" }): \(error)"
            )
        }
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: data)
    }

    private func problemResponse(_ status: Int, _ title: String, _ detail: String) -> HTTPResponse {
        ok(["title": title, "status": status, "detail": detail], status: status)
    }
}

/// The app port through the proxy: answers the scripted statuses in turn (the last repeats).
final class FakeProxy: HTTPTransport {
    let statuses: Mutex<[Int]>
    let seen = Mutex<[HTTPRequest]>([])
    init(_ statuses: [Int]) { self.statuses = Mutex(statuses) }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        seen.withLock { $0.append(request) }
        let status = statuses.withLock { list in list.count > 1 ? list.removeFirst() : (list.first ?? 200) }
        return HTTPResponse(status: status)
    }

    var requests: [HTTPRequest] { seen.withLock { $0 } }
}

let unitKey = "rpa_UNITSECRET_abcdef0123456789"

struct Harness {
    let fake: FakeRunPod
    let proxy: FakeProxy
    let clock = SkippingClock()
    let events = EventLog()
    let launcher: RunPodLauncher

    init(
        fake: FakeRunPod, proxy: FakeProxy = FakeProxy([200]), probeApp: Bool = true, logger: Logger? = nil,
        credentialSource: CredentialSource = .environment(variable: "RUNPOD_API_KEY")
    ) {
        self.fake = fake
        self.proxy = proxy
        let client = RunPodClient(
            baseURL: testURL("https://api.example.test"), apiKey: APIKey(unitKey), logger: logger, transport: fake,
            retryPolicy: .exponential(jitter: false), clock: clock)
        launcher = RunPodLauncher(
            client: client,
            configuration: LauncherConfiguration(
                proxyURLTemplate: "https://{podId}-{port}.proxy.test", readyPath: "/system_stats", probeApp: probeApp, clock: clock,
                pollSchedule: .standard, probeTransport: proxy, credentialSource: credentialSource),
            ledger: nil, logger: logger, events: events.handler)
    }
}

let a40 = FakeRunPod.GPU(id: "NVIDIA A40", dataCenters: ["EU-RO-1": "HIGH"])
let rtx4090 = FakeRunPod.GPU(id: "NVIDIA GeForce RTX 4090", dataCenters: ["EU-RO-1": "LOW", "US-TX-3": "HIGH"])
let l40s = FakeRunPod.GPU(id: "NVIDIA L40S", dataCenters: ["EU-RO-1": "MEDIUM"])
let h100 = FakeRunPod.GPU(id: "NVIDIA H100 80GB HBM3", dataCenters: ["US-TX-3": "HIGH"])

func spec(_ gpus: [String], volume: String? = "vol1", cloud: CloudType = .all, name: String? = nil) -> LaunchSpec {
    LaunchSpec(
        name: name, gpuTypeIDs: gpus, cloudType: cloud, networkVolumeID: volume, image: "bilunsun/comfyuiprod:pod-test-0",
        env: ["HF_HOME": "/workspace/hf"])
}
