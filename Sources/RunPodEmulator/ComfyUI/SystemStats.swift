import Foundation

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
