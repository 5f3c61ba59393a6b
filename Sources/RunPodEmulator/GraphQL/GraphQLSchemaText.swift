/// The legacy RunPod GraphQL schema, as far as RunPod's Python SDK 1.12.0 and other public clients use it.
///
/// Written as SDL and executed by GraphQLSwift, so any client's query shape (inline arguments spliced into the text,
/// variables, aliases, fragments, `__typename`) is parsed, validated and answered the way a real GraphQL server does.
/// Names and nullability follow RunPod's API: `podTerminate` returns the `Void` scalar because clients send it
/// without a selection set; `desiredStatus` is an enum; `stockStatus` is a free string (`High`, `Medium`, `Low`,
/// `None` or null). Fields the emulator has no data for are left out rather than answered with invented values.
enum GraphQLSchemaText {
    static let sdl = """
        "No value: the return type of mutations that answer nothing (RunPod's `podTerminate`)."
        scalar Void

        type Query {
          "The account the API key belongs to."
          myself: User
          "One pod; null when it does not exist or was terminated."
          pod(input: PodFilter!): Pod
          "GPU types, optionally filtered by id."
          gpuTypes(input: GpuTypeFilter): [GpuType]
        }

        type Mutation {
          "Creates an on-demand pod on exactly one GPU type; fails with RunPod's no-capacity message when none is free."
          podFindAndDeployOnDemand(input: PodFindAndDeployOnDemandInput): Pod
          "Stops a pod: desiredStatus becomes EXITED, the GPUs go back to the pool, the disk stays."
          podStop(input: PodStopInput!): Pod
          "Starts a stopped pod again: desiredStatus becomes RUNNING."
          podResume(input: PodResumeInput!): Pod
          "Terminates a pod for good; afterwards pod(...) is null."
          podTerminate(input: PodTerminateInput!): Void
        }

        type User {
          id: String
          pubKey: String
          email: String
          clientBalance: Float
          currentSpendPerHr: Float
          pods: [Pod]
          networkVolumes: [NetworkVolume]
        }

        type NetworkVolume {
          id: String
          name: String
          size: Int
          dataCenterId: String
          dataCenter: DataCenter
        }

        type DataCenter {
          id: String
          name: String
          location: String
        }

        enum PodStatus {
          CREATED
          RUNNING
          RESTARTING
          EXITED
          PAUSED
          DEAD
          TERMINATED
        }

        enum CloudTypeEnum {
          ALL
          SECURE
          COMMUNITY
        }

        type Pod {
          id: String!
          name: String
          imageName: String
          desiredStatus: PodStatus
          lastStatusChange: String
          containerDiskInGb: Int
          volumeInGb: Float
          volumeMountPath: String
          costPerHr: Float
          adjustedCostPerHr: Float
          dockerArgs: String
          dockerId: String
          env: [String]
          gpuCount: Int
          machineId: String
          memoryInGb: Float
          vcpuCount: Float
          podType: String
          port: Int
          ports: String
          uptimeSeconds: Int
          locked: Boolean
          templateId: String
          networkVolume: NetworkVolume
          runtime: PodRuntime
          machine: PodMachine
        }

        type PodRuntime {
          uptimeInSeconds: Int
          ports: [PodRuntimePort]
          gpus: [PodRuntimeGpu]
          container: PodRuntimeContainer
        }

        type PodRuntimePort {
          ip: String
          isIpPublic: Boolean
          privatePort: Int
          publicPort: Int
          type: String
        }

        type PodRuntimeGpu {
          id: String
          gpuUtilPercent: Int
          memoryUtilPercent: Int
        }

        type PodRuntimeContainer {
          cpuPercent: Int
          memoryPercent: Int
        }

        type PodMachine {
          podHostId: String
          gpuDisplayName: String
          gpuTypeId: String
          dataCenterId: String
          location: String
          secureCloud: Boolean
        }

        type GpuType {
          id: String!
          displayName: String
          manufacturer: String
          memoryInGb: Int
          cudaCores: Int
          maxGpuCount: Int
          maxGpuCountSecureCloud: Int
          maxGpuCountCommunityCloud: Int
          secureCloud: Boolean
          communityCloud: Boolean
          securePrice: Float
          communityPrice: Float
          secureSpotPrice: Float
          communitySpotPrice: Float
          oneWeekPrice: Float
          oneMonthPrice: Float
          threeMonthPrice: Float
          lowestPrice(input: GpuLowestPriceInput): LowestPrice
        }

        type LowestPrice {
          gpuName: String
          gpuTypeId: String
          minimumBidPrice: Float
          uninterruptablePrice: Float
          minMemory: Int
          minVcpu: Int
          stockStatus: String
          maxUnreservedGpuCount: Int
          availableGpuCounts: [Int]
          countryCode: String
        }

        input PodFilter {
          podId: String!
        }

        input GpuTypeFilter {
          id: String
          ids: [String]
        }

        input GpuLowestPriceInput {
          gpuCount: Int!
          dataCenterId: String
          secureCloud: Boolean
          countryCode: String
          minDisk: Int
          minMemoryInGb: Int
          minVcpuCount: Int
          minDownload: Int
          minUpload: Int
          supportPublicIp: Boolean
          globalNetwork: Boolean
          includeAiApi: Boolean
          allowedCudaVersions: [String]
          compliance: [String]
        }

        input EnvironmentVariableInput {
          key: String!
          value: String!
        }

        input PodFindAndDeployOnDemandInput {
          name: String
          imageName: String
          gpuTypeId: String
          gpuTypeIdList: [String]
          gpuCount: Int
          cloudType: CloudTypeEnum
          dataCenterId: String
          countryCode: String
          networkVolumeId: String
          volumeInGb: Int
          volumeKey: String
          volumeMountPath: String
          containerDiskInGb: Int
          minVcpuCount: Int
          minMemoryInGb: Int
          minDisk: Int
          minDownload: Int
          minUpload: Int
          dockerArgs: String
          ports: String
          port: Int
          env: [EnvironmentVariableInput]
          templateId: String
          startSsh: Boolean
          startJupyter: Boolean
          supportPublicIp: Boolean
          allowedCudaVersions: [String]
          minCudaVersion: String
          cudaVersion: String
          globalNetwork: Boolean
          deployCost: Float
          aiApiId: String
          stopAfter: String
          terminateAfter: String
        }

        input PodStopInput {
          podId: String!
          incrementVersion: Boolean
        }

        input PodResumeInput {
          podId: String!
          gpuCount: Int!
          syncMachine: Boolean
        }

        input PodTerminateInput {
          podId: String!
        }
        """
}
