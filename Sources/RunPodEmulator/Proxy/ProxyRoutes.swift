import Foundation
import Hummingbird

/// `GET /proxy/{podId}-{port}/...`: a pod's HTTP port, as RunPod's proxy (`https://{podId}-{port}.proxy.runpod.net`)
/// serves it. 404 for an unknown pod; 502 while nothing listens (not running yet, app still starting, app hung, or
/// the port not exposed as HTTP); once the app is up, a ComfyUI look-alike answers.
func addProxyRoutes(to router: Router<EmulatorRequestContext>, core: EmulatorCore) {
    let handler: @Sendable (Request, EmulatorRequestContext) async throws -> Response = { request, context in
        let target = context.parameters.get("target") ?? ""
        let path = "/" + context.parameters.getCatchAll().joined(separator: "/")
        return try await core.withFaults(operation: "proxy", context: context) {
            proxy(target: target, path: path, world: core.world)
        }
    }
    router.get("/proxy/{target}", use: handler)
    router.get("/proxy/{target}/**", use: handler)
}

private func proxy(target: String, path: String, world: World) -> Reply {
    guard let dash = target.lastIndex(of: "-"), let port = Int(target[target.index(after: dash)...]) else {
        return .raw(Data("404 page not found\n".utf8), status: .notFound, contentType: "text/plain; charset=utf-8")
    }
    guard let pod = world.pod(id: String(target[..<dash])) else {
        return .raw(Data("404 page not found\n".utf8), status: .notFound, contentType: "text/plain; charset=utf-8")
    }
    let exposed = pod.runtimePorts.contains { $0.privatePort == port && $0.type == "http" }
    guard pod.status == .running, pod.appReady, exposed else {
        return .raw(Data("Bad Gateway\n".utf8), status: .badGateway, contentType: "text/plain; charset=utf-8")
    }
    switch path {
    case "/", "":
        return .raw(Data(comfyIndexHTML.utf8), status: .ok, contentType: "text/html; charset=utf-8")
    case "/system_stats":
        return .json(SystemStats(pod: pod, world: world))
    case "/queue":
        return .json(["queue_running": [String](), "queue_pending": [String]()])
    default:
        return .raw(Data("404: Not Found".utf8), status: .notFound, contentType: "text/plain; charset=utf-8")
    }
}

private let comfyIndexHTML = """
    <!DOCTYPE html>
    <html lang="en">
    <head><meta charset="UTF-8"><title>ComfyUI</title></head>
    <body><div id="vue-app">ComfyUI (RunPod emulator)</div></body>
    </html>

    """

/// ComfyUI's `GET /system_stats`.
struct SystemStats: Encodable {
    struct System: Encodable {
        var os = "posix"
        var ram_total: Int
        var ram_free: Int
        var comfyui_version = "0.3.43"
        var python_version = "3.12.10 (main, Apr  9 2025, 04:44:59) [GCC 13.3.0]"
        var pytorch_version = "2.7.1+cu128"
        var embedded_python = false
        var argv = ["main.py", "--listen", "0.0.0.0", "--port", "8188"]
    }

    struct Device: Encodable {
        var name: String
        var type = "cuda"
        var index: Int
        var vram_total: Int
        var vram_free: Int
        var torch_vram_total = 0
        var torch_vram_free = 0
    }

    var system: System
    var devices: [Device]

    init(pod: PodRecord, world: World) {
        let gib = 1 << 30
        system = System(ram_total: pod.memoryGB * gib, ram_free: pod.memoryGB * gib * 9 / 10)
        let vram = (world.gpuType(id: pod.creation.gpuTypeID)?.memoryGB ?? 24) * gib
        devices = (0..<pod.creation.gpuCount).map { index in
            Device(name: "cuda:\(index) \(pod.creation.gpuTypeID) : cudaMallocAsync", index: index, vram_total: vram, vram_free: vram - 400 << 20)
        }
    }
}
