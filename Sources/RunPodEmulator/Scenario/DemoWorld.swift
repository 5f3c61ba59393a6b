/// The built-in demo world: RunPod's real ids, list prices of late 2025, and stock that lets the launcher's
/// defaults work out of the box.
public enum DemoWorld {
    /// Five real RunPod data centers.
    public static let dataCenters: [DataCenter] = [
        DataCenter(
            id: "EU-RO-1", name: "EU Romania 1", region: "EUROPE", countryCode: "RO",
            networkVolumeTypes: ["STANDARD"], compliance: ["GDPR", "ISO_IEC_27001"]),
        DataCenter(
            id: "US-KS-2", name: "US Kansas 2", region: "NORTH_AMERICA", countryCode: "US",
            networkVolumeTypes: ["STANDARD", "HIGH_PERFORMANCE"], compliance: ["SOC_2_TYPE_2", "ISO_IEC_27001"]),
        DataCenter(
            id: "CA-MTL-1", name: "CA Montreal 1", region: "NORTH_AMERICA", countryCode: "CA",
            networkVolumeTypes: ["STANDARD"], compliance: ["SOC_2_TYPE_2"]),
        DataCenter(
            id: "US-TX-3", name: "US Texas 3", region: "NORTH_AMERICA", countryCode: "US",
            networkVolumeTypes: ["STANDARD", "HIGH_PERFORMANCE"], compliance: ["SOC_2_TYPE_2", "ISO_IEC_27001"]),
        DataCenter(
            id: "EU-SE-1", name: "EU Sweden 1", region: "EUROPE", countryCode: "SE", globalNetwork: false,
            networkVolumeTypes: ["STANDARD"], compliance: ["GDPR", "RENEWABLE"]),
    ]

    /// Seven GPU types with RunPod's ids, VRAM and per-GPU hourly prices.
    public static let gpuTypes: [GPUType] = [
        GPUType(
            id: "NVIDIA GeForce RTX 4090", displayName: "RTX 4090", memoryGB: 24, securePrice: 0.69, communityPrice: 0.34,
            pool: "ADA_24", vcpuPerGPU: 6, memoryPerGPUGB: 41),
        GPUType(
            id: "NVIDIA RTX A5000", displayName: "RTX A5000", memoryGB: 24, securePrice: 0.27, communityPrice: 0.16,
            pool: "AMPERE_24", vcpuPerGPU: 9, memoryPerGPUGB: 25),
        GPUType(
            id: "NVIDIA RTX A6000", displayName: "RTX A6000", memoryGB: 48, securePrice: 0.49, communityPrice: 0.33,
            pool: "AMPERE_48", vcpuPerGPU: 8, memoryPerGPUGB: 50),
        GPUType(
            id: "NVIDIA A40", displayName: "A40", memoryGB: 48, securePrice: 0.40, communityPrice: 0.35,
            maxCountCommunity: 4, pool: "AMPERE_48", vcpuPerGPU: 9, memoryPerGPUGB: 50),
        GPUType(
            id: "NVIDIA L40S", displayName: "L40S", memoryGB: 48, securePrice: 0.86, communityPrice: 0.79,
            maxCountCommunity: 4, pool: "ADA_48_PRO", vcpuPerGPU: 12, memoryPerGPUGB: 62),
        GPUType(
            id: "NVIDIA A100 80GB PCIe", displayName: "A100 PCIe", memoryGB: 80, securePrice: 1.64, communityPrice: 1.19,
            pool: "AMPERE_80", vcpuPerGPU: 8, memoryPerGPUGB: 117),
        GPUType(
            id: "NVIDIA H100 80GB HBM3", displayName: "H100 SXM", memoryGB: 80, securePrice: 2.99, communityPrice: 2.69,
            maxCountCommunity: 2, pool: nil, vcpuPerGPU: 16, memoryPerGPUGB: 125),
    ]

    /// Stock: every GPU type in Secure Cloud in `EU-RO-1` (the default volume's data center), a mix elsewhere.
    public static let stock: [StockEntry] = [
        StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA GeForce RTX 4090", count: 12),
        StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA RTX A5000", count: 8),
        StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA RTX A6000", count: 6),
        StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA A40", count: 5),
        StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA L40S", count: 4),
        StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA A100 80GB PCIe", count: 3),
        StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA H100 80GB HBM3", count: 2),
        StockEntry(dataCenterId: "EU-RO-1", gpuTypeId: "NVIDIA GeForce RTX 4090", cloud: .community, count: 4),
        StockEntry(dataCenterId: "US-KS-2", gpuTypeId: "NVIDIA GeForce RTX 4090", count: 20),
        StockEntry(dataCenterId: "US-KS-2", gpuTypeId: "NVIDIA A100 80GB PCIe", count: 6),
        StockEntry(dataCenterId: "US-KS-2", gpuTypeId: "NVIDIA H100 80GB HBM3", count: 8),
        StockEntry(dataCenterId: "CA-MTL-1", gpuTypeId: "NVIDIA RTX A6000", count: 4),
        StockEntry(dataCenterId: "CA-MTL-1", gpuTypeId: "NVIDIA RTX A5000", count: 10),
        StockEntry(dataCenterId: "CA-MTL-1", gpuTypeId: "NVIDIA GeForce RTX 4090", cloud: .community, count: 15),
        StockEntry(dataCenterId: "US-TX-3", gpuTypeId: "NVIDIA H100 80GB HBM3", count: 10),
        StockEntry(dataCenterId: "US-TX-3", gpuTypeId: "NVIDIA L40S", count: 8),
        StockEntry(dataCenterId: "US-TX-3", gpuTypeId: "NVIDIA A40", count: 0),
        StockEntry(dataCenterId: "EU-SE-1", gpuTypeId: "NVIDIA A40", count: 6),
        StockEntry(dataCenterId: "EU-SE-1", gpuTypeId: "NVIDIA L40S", count: 2),
        StockEntry(dataCenterId: "EU-SE-1", gpuTypeId: "NVIDIA GeForce RTX 4090", cloud: .community, count: 3),
    ]

    /// The launcher's default volume, plus one elsewhere to test the data-center rule against.
    public static let networkVolumes: [NetworkVolume] = [
        NetworkVolume(id: "rp-vol-comfyui01", name: "comfyui-models", size: 100, dataCenterId: "EU-RO-1"),
        NetworkVolume(id: "rp-vol-datasets02", name: "datasets", size: 500, dataCenterId: "US-KS-2", type: "HIGH_PERFORMANCE"),
    ]
}
