import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RunPodEmulator

/// The query texts RunPod's Python SDK 1.12.0 sends (runpod/api/queries and mutations), arguments spliced in as the
/// SDK splices them.
enum SDKQueries {
    static let gpuTypes = """

        query GpuTypes {
          gpuTypes {
            id
            displayName
            memoryInGb
          }
        }

        """

    static func gpu(_ id: String, count: Int = 1) -> String {
        """

            query GpuTypes {
              gpuTypes(input: {id: "\(id)"}) {
                maxGpuCount
                id
                displayName
                manufacturer
                memoryInGb
                cudaCores
                secureCloud
                communityCloud
                securePrice
                communityPrice
                oneMonthPrice
                threeMonthPrice
                oneWeekPrice
                communitySpotPrice
                secureSpotPrice
                lowestPrice(input: {gpuCount: \(count)}) {
                  minimumBidPrice
                  uninterruptablePrice
                }
              }
            }

        """
    }

    static let myself = """

        query myself {
            myself {
                id
                pubKey
                networkVolumes {
                    id
                    name
                    size
                    dataCenterId
                }
            }
        }

        """

    static let myPods = """

        query myPods {
            myself {
                pods {
                    id
                    containerDiskInGb
                    costPerHr
                    desiredStatus
                    dockerArgs
                    dockerId
                    env
                    gpuCount
                    imageName
                    lastStatusChange
                    machineId
                    memoryInGb
                    name
                    podType
                    port
                    ports
                    uptimeSeconds
                    vcpuCount
                    volumeInGb
                    volumeMountPath
                    runtime {
                        ports{
                            ip
                            isIpPublic
                            privatePort
                            publicPort
                            type
                        }
                    }
                    machine {
                        gpuDisplayName
                    }
                }
            }
        }

        """

    static func pod(_ id: String) -> String {
        """

            query pod {
                pod(input: {podId: "\(id)"}) {
                    id
                    containerDiskInGb
                    costPerHr
                    desiredStatus
                    dockerArgs
                    dockerId
                    env
                    gpuCount
                    imageName
                    lastStatusChange
                    machineId
                    memoryInGb
                    name
                    podType
                    port
                    ports
                    uptimeSeconds
                    vcpuCount
                    volumeInGb
                    volumeMountPath
                    runtime {
                        ports {
                            ip
                            isIpPublic
                            privatePort
                            publicPort
                            type
                        }
                    }
                    machine {
                        gpuDisplayName
                    }
                }
            }

        """
    }

    /// `create_pod(name, image, gpu, cloud_type="SECURE", network_volume_id=…, ports=…, volume_mount_path=…, env=…)`
    /// after the SDK filled `dataCenterId` from `myself { networkVolumes }`.
    static func deploy(
        name: String = "sdk-pod", gpu: String = "NVIDIA GeForce RTX 4090", dataCenter: String = "EU-RO-1",
        volume: String = "rp-vol-comfyui01"
    ) -> String {
        """

            mutation {
              podFindAndDeployOnDemand(
                input: {
                  name: "\(name)", imageName: "bilunsun/comfyuiprod:pod-test-0", cloudType: SECURE, startSsh: true, \
        gpuTypeId: "\(gpu)", supportPublicIp: true, gpuCount: 1, volumeInGb: 0, minVcpuCount: 1, minMemoryInGb: 1, \
        dataCenterId: "\(dataCenter)", dockerArgs: "", containerDiskInGb: 10, ports: "8188/http,22/tcp", \
        volumeMountPath: "/workspace", env: [{ key: "COMFY", value: "1" }, { key: "MODE", value: "test" }], \
        networkVolumeId: "\(volume)"
                }
              ) {
                id
                imageName
                env
                machineId
                machine {
                  podHostId
                }
              }
            }

        """
    }

    static func stop(_ id: String) -> String {
        """

            mutation {
                podStop(input: { podId: "\(id)" }) {
                    id
                    desiredStatus
                }
            }

        """
    }

    static func resume(_ id: String, gpuCount: Int = 1) -> String {
        """

            mutation {
                podResume(input: { podId: "\(id)", gpuCount: \(gpuCount) }) {
                    id
                    desiredStatus
                    imageName
                    env
                    machineId
                    machine {
                        podHostId
                    }
                }
            }

        """
    }

    static func terminate(_ id: String) -> String {
        """

            mutation {
                podTerminate(input: { podId: "\(id)" })
            }

        """
    }
}

/// One HTTP answer from the emulator, its body parsed as JSON (`.null` when it is not JSON).
struct GraphQLAnswer {
    let status: Int
    let contentType: String
    let json: JSONValue

    /// `data.<field>`.
    func data(_ field: String) -> JSONValue? { json["data"]?[field] }

    /// The first error's message, if any.
    var firstError: String? { json["errors"]?.arrayValue?.first?["message"]?.stringValue }
}

/// How a test authenticates.
enum GraphQLAuth {
    case bearer(String)
    case queryParameter(String)
    case none
}

extension RunningEmulator {
    /// POSTs `{query, variables}` to `/graphql` the way the SDK does (JSON body, `Authorization: Bearer`).
    func graphQL(_ query: String, variables: [String: JSONValue]? = nil, auth: GraphQLAuth? = nil) async throws -> GraphQLAnswer {
        var body: [String: JSONValue] = ["query": .string(query)]
        if let variables { body["variables"] = .object(variables) }
        return try await post(path: "/graphql", body: JSONEncoder().encode(JSONValue.object(body)), auth: auth ?? .bearer(apiKey))
    }

    /// POSTs raw bytes to `/graphql`.
    func post(path: String, body: Data, auth: GraphQLAuth) async throws -> GraphQLAnswer {
        var url = baseURL.absoluteString + path
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        switch auth {
        case .bearer(let key): request.headers.add(name: "Authorization", value: "Bearer \(key)")
        case .queryParameter(let key):
            url += "?api_key=\(key)"
            request.url = url
        case .none: break
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await send(request)
    }

    /// GETs a REST path with the emulator's key.
    func restGet(_ path: String) async throws -> GraphQLAnswer {
        var request = HTTPClientRequest(url: baseURL.absoluteString + path)
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws -> GraphQLAnswer {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return GraphQLAnswer(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type") ?? "",
            json: JSONValue.parse(Data(buffer: bytes)) ?? .null)
    }
}

/// Emulator options for GraphQL tests: a clock that moves only when the test says so, at RunPod's pace, so a pod
/// stays PROVISIONING (runtime null) until the test advances time.
func manualClockOptions() -> (EmulatorOptions, ManualEmulatorClock) {
    let clock = ManualEmulatorClock()
    return (EmulatorOptions(port: 0, timeScale: 1, clock: clock), clock)
}
