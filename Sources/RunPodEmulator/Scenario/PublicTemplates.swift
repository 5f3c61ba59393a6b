extension DemoWorld {
    /// A small public template catalog: RunPod's official PyTorch and ComfyUI templates, a verified one and a
    /// community one, plus an official serverless worker template (which pods cannot use).
    public static let publicTemplates: [PodTemplate] = [
        PodTemplate(
            id: "runpod-torch-v280", name: "Runpod Pytorch 2.8.0", image: "runpod/pytorch:1.0.2-cu1281-torch280-ubuntu2404", disk: 50,
            ports: ["8888/http", "22/tcp"], persistent: PodTemplate.Persistent(size: 20, path: "/workspace"), isPublic: true,
            catalogSource: "official"),
        PodTemplate(
            id: "runpod-comfyui", name: "ComfyUI", image: "runpod/comfyui:latest", disk: 40, ports: ["8188/http", "22/tcp"],
            env: ["COMFY_MODE": "ui"], isPublic: true, startJupyter: false, catalogSource: "official"),
        PodTemplate(
            id: "worker-vllm-official", name: "vLLM worker", image: "runpod/worker-v1-vllm:v2.7.0", disk: 20, serverless: true,
            isPublic: true, startSsh: false, startJupyter: false, catalogSource: "official"),
        PodTemplate(
            id: "ostris-ai-toolkit", name: "AI Toolkit (ostris)", image: "ostris/aitoolkit:latest", disk: 60,
            ports: ["8675/http", "22/tcp"], isPublic: true, startJupyter: false, allowedCudaVersions: ["12.8"], catalogSource: "verified"),
        PodTemplate(
            id: "kohya-ss-community", name: "Kohya_ss", image: "ashleykza/kohya:latest", args: "/start.sh", disk: 40,
            ports: ["3000/http", "8888/http", "22/tcp"], isPublic: true, catalogSource: "community"),
    ]
}
