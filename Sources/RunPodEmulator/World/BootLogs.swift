import Foundation

/// The text of a pod's start-up log, as a RunPod host (docker pull, container start) and a ComfyUI image write it.
///
/// Pure functions of the pod's image, GPU and mount, so every run of a scenario logs the same lines. The boot
/// schedule (`bootSchedule`) decides when each group of lines appears.
enum BootLogs {
    typealias Lines = [(source: String, line: String)]

    /// `bilunsun/comfyuiprod` and `pod-test-0` from `bilunsun/comfyuiprod:pod-test-0` (`latest` when untagged).
    static func repositoryAndTag(_ image: String) -> (repository: String, tag: String) {
        let parts = image.split(separator: ":", maxSplits: 1).map(String.init)
        return (parts.first ?? image, parts.count > 1 ? parts[1] : "latest")
    }

    /// Six layer IDs (12 hex digits, as docker prints them), derived from the image so they repeat across runs.
    static func layers(of image: String) -> [String] {
        (0..<6).map { index in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in "\(image)#\(index)".utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            let hex = String(hash, radix: 16)
            return String((String(repeating: "0", count: max(0, 12 - hex.count)) + hex).prefix(12))
        }
    }

    /// Layer sizes in MB; the last one (the model-laden layer) dominates, as in a ComfyUI image.
    static let layerSizesMB: [Double] = [29.5, 61.2, 188.0, 412.7, 946.3, 1_612.4]

    /// The start of a pull: the tag line and one "Pulling fs layer" per layer.
    static func pullStart(image: String) -> Lines {
        let (repository, tag) = repositoryAndTag(image)
        return [("system", "\(tag): Pulling from \(repository)")] + layers(of: image).map { ("system", "\($0): Pulling fs layer") }
    }

    /// Docker's progress line for one layer at `fraction` (0…1) of its size.
    static func progressBar(layer: String, sizeMB: Double, fraction: Double) -> String {
        let width = 50
        let filled = max(0, min(width - 1, Int(Double(width) * fraction)))
        let bar = String(repeating: "=", count: filled) + ">" + String(repeating: " ", count: width - filled - 1)
        return "\(layer): Downloading [\(bar)]  \(size(sizeMB * fraction))/\(size(sizeMB))"
    }

    /// `812.4MB` or `1.61GB`.
    static func size(_ megabytes: Double) -> String {
        megabytes >= 1_000 ? String(format: "%.2fGB", megabytes / 1_000) : String(format: "%.1fMB", megabytes)
    }

    /// Progress at `fraction` of the whole pull: small layers are done first, the big one is still downloading.
    static func pullProgress(image: String, fraction: Double) -> Lines {
        let layers = layers(of: image)
        var lines: Lines = []
        for (index, layer) in layers.enumerated() {
            // Layer i finishes at fraction (i + 1) / count of the pull.
            let done = Double(index + 1) / Double(layers.count)
            let begin = Double(index) / Double(layers.count) * 0.5
            if fraction >= done {
                lines.append(("system", "\(layer): Download complete"))
            } else if fraction > begin {
                let part = (fraction - begin) / (done - begin)
                lines.append(("system", progressBar(layer: layer, sizeMB: layerSizesMB[index], fraction: part)))
            }
        }
        return lines
    }

    /// The end of a successful pull: extraction, digest and docker's summary line.
    static func pullDone(image: String) -> Lines {
        let layers = layers(of: image)
        var lines: Lines = []
        for (index, layer) in layers.enumerated() {
            lines.append(("system", "\(layer): Extracting [==================================================>]  \(size(layerSizesMB[index]))"))
            lines.append(("system", "\(layer): Pull complete"))
        }
        let digest = layers.joined().padding(toLength: 64, withPad: "0", startingAt: 0)
        lines.append(("system", "Digest: sha256:\(digest)"))
        lines.append(("system", "Status: Downloaded newer image for \(image)"))
        return lines
    }

    /// The daemon's answer to a pull of an image that does not exist or is private.
    static func pullDenied(image: String) -> String {
        let repository = repositoryAndTag(image).repository
        return "failed to pull image \(image): Error response from daemon: pull access denied for \(repository), "
            + "repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
    }

    /// ComfyUI's first lines: the prestartup banner, the GPU it found and its memory.
    static func comfyBanner(gpuName: String, startedAt: Date) -> Lines {
        let vram =
            gpuName.contains("80GB") ? 81_559 : gpuName.contains("48") || gpuName.contains("A6000") || gpuName.contains("L40") ? 48_676 : 24_564
        let stamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(startedAt)
        return [
            ("container", "[START] Security scan"),
            ("container", "[DONE] Security scan"),
            ("container", "** ComfyUI startup time: \(stamp)"),
            ("container", "** Platform: Linux"),
            ("container", "** Python version: 3.11.10 (main, Sep  7 2024, 18:35:41) [GCC 11.4.0]"),
            ("container", "** Python executable: /opt/venv/bin/python3"),
            ("container", "** ComfyUI Path: /ComfyUI"),
            ("container", "** Log path: /ComfyUI/user/comfyui.log"),
            ("container", ""),
            ("container", "Prestartup times for custom nodes:"),
            ("container", "   0.0 seconds: /ComfyUI/custom_nodes/ComfyUI-Manager"),
            ("container", ""),
            ("container", "Checkpoint files will always be loaded safely."),
            ("container", "Total VRAM \(vram) MB, total RAM 257588 MB"),
            ("container", "pytorch version: 2.5.1+cu124"),
            ("container", "Set vram state to: NORMAL_VRAM"),
            ("container", "Device: cuda:0 \(gpuName) : cudaMallocAsync"),
        ]
    }

    /// ComfyUI loading its models and custom nodes from the network volume.
    static func comfyLoading(mount: String) -> Lines {
        [
            ("container", "Using pytorch attention"),
            ("container", "ComfyUI version: 0.3.10"),
            ("container", "[Prompt Server] web root: /ComfyUI/web"),
            ("container", "Adding extra search path checkpoints \(mount)/models/checkpoints"),
            ("container", "Adding extra search path loras \(mount)/models/loras"),
            ("container", "Adding extra search path custom_nodes \(mount)/custom_nodes"),
            ("container", "Loading custom nodes..."),
        ]
    }

    /// The last lines before ComfyUI answers: import times, then the server on `host`.
    static func comfyServing(host: String) -> Lines {
        [
            ("container", ""),
            ("container", "Import times for custom nodes:"),
            ("container", "   0.0 seconds: /ComfyUI/custom_nodes/websocket_image_save.py"),
            ("container", "   0.4 seconds: /ComfyUI/custom_nodes/ComfyUI-Manager"),
            ("container", ""),
            ("container", "Starting server"),
            ("container", ""),
            ("container", "To see the GUI go to: http://\(host):8188"),
        ]
    }

    /// A start-up that dies: the traceback a CUDA build mismatch gives, then the container's exit.
    static func comfyCrash() -> Lines {
        [
            ("container", "Traceback (most recent call last):"),
            ("container", "  File \"/ComfyUI/main.py\", line 147, in <module>"),
            ("container", "    import execution"),
            ("container", "  File \"/ComfyUI/execution.py\", line 13, in <module>"),
            ("container", "    import nodes"),
            ("container", "  File \"/ComfyUI/nodes.py\", line 21, in <module>"),
            ("container", "    import comfy.diffusers_load"),
            ("container", "  File \"/ComfyUI/comfy/sd.py\", line 5, in <module>"),
            ("container", "    from comfy import model_management"),
            ("container", "RuntimeError: CUDA error: no kernel image is available for execution on the device"),
        ]
    }

    /// The host's line when the container's main process ended with `code`.
    static func containerExited(code: Int) -> String { "container exited with code \(code); the pod is EXITED" }
}
