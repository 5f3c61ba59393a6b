import Foundation
import Testing

@testable import RunPodEmulator

@Suite("REST v2 clusters and billing")
struct RESTClusterBillingTests {
    static let clusterBody =
        #"{"name":"train","type":"SLURM","image":"img","ports":["22/tcp"],"compute":{"gpuTypeId":"NVIDIA H100 80GB HBM3","gpuCountPerPod":2,"podCount":3}}"#

    @Test("a cluster's members share one data center, carry their rank and role, and are hidden from listPods by default")
    func members() async throws {
        try await withEmulator { emulator in
            let cluster = try await emulator.call(.POST, "/v2/clusters", body: Self.clusterBody)
            #expect(cluster.status == 201)
            let id = cluster.json["id"]?.stringValue ?? ""
            let pods = try await emulator.call(.GET, "/v2/clusters/\(id)/pods").json["pods"]?.arrayValue ?? []
            #expect(pods.count == 3)
            #expect(Set(pods.compactMap { $0["dataCenterId"]?.stringValue }).count == 1)
            #expect(pods.compactMap { $0["cluster"]?["role"]?.stringValue } == ["SLURM_CONTROLLER", "SLURM_COMPUTE", "SLURM_COMPUTE"])
            #expect(try await emulator.call(.GET, "/v2/pods").json["pods"] == [])
            #expect(try await emulator.call(.GET, "/v2/pods?includeClusterPods=true").json["pods"]?.arrayValue?.count == 3)
            let member = pods.first?["id"]?.stringValue ?? ""
            #expect(try await emulator.call(.DELETE, "/v2/pods/\(member)").status == 409)
            #expect(try await emulator.call(.POST, "/v2/pods/\(member)/action", body: #"{"action":"stop"}"#).status == 409)
            #expect(try await emulator.call(.DELETE, "/v2/clusters/\(id)").status == 204)
            #expect(try await emulator.getPod(member).status == 404)
        }
    }

    @Test("a cluster needs all its GPUs free in one data center, else no capacity")
    func clusterCapacity() async throws {
        try await withEmulator { emulator in
            // The most H100s free in one data center is 10 (US-TX-3): 6 pods of 2 do not fit anywhere.
            let body = Self.clusterBody.replacingOccurrences(of: #""podCount":3"#, with: #""podCount":6"#)
            let answer = try await emulator.call(.POST, "/v2/clusters", body: body)
            #expect(answer.status == 400)
            #expect(answer.detail == noCapacityMessage)
            #expect(await emulator.state().pods.isEmpty)
        }
    }

    @Test("billing charges a pod its price for the time it held GPUs, and nothing while stopped")
    func podBilling() async throws {
        let (options, clock) = steppedEmulator()
        try await withEmulator(options) { emulator in
            let (_, id) = try await emulator.createPod(#"{"name":"b","image":"img","gpu":{"id":"NVIDIA A40","count":2},"disk":10}"#)
            clock.advance(by: .seconds(3600))
            #expect(try await emulator.call(.POST, "/v2/pods/\(id)/action", body: #"{"action":"stop"}"#).status == 200)
            clock.advance(by: .seconds(7200))
            let answer = try await emulator.call(.GET, "/v2/billing/pods?bucketSize=year&lastN=1&podId=\(id)")
            #expect(answer.status == 200)
            let gpu = answer.json["metadata"]?["totals"]?["gpuAmount"]
            #expect(gpu == .double(0.8))  // 2 × $0.40 for one hour, then stopped
            #expect(answer.json["records"]?.arrayValue?.first?["podId"] == .string(id))
            let total = try await emulator.call(.GET, "/v2/billing?bucketSize=year&lastN=1").json["metadata"]?["totals"]?["podGpuAmount"]
            #expect(total == .double(0.8))
        }
    }

    @Test("a billing query with lastN and a time is 400; an unknown bucket size is 422")
    func billingQuery() async throws {
        try await withEmulator { emulator in
            #expect(try await emulator.call(.GET, "/v2/billing?lastN=3&startTime=2026-01-01T00:00:00Z").status == 400)
            #expect(try await emulator.call(.GET, "/v2/billing?bucketSize=fortnight").status == 422)
            let day = try await emulator.call(.GET, "/v2/billing?bucketSize=day&lastN=7").json
            #expect(day["records"]?.arrayValue?.count == 7)
        }
    }
}
