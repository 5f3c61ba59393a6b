import Foundation

/// REST v2 billing, derived from the world's history: pods bill their GPUs and disks while they hold a machine and
/// their persistent volume while stopped (`CostSpan`); cluster members bill to their cluster; network volumes bill
/// their size from creation to deletion. The emulator runs no serverless workers or public endpoints, so those
/// amounts are 0.
func addBillingRoutes(to rest: RESTRouter) {
    let world = rest.core.world

    @Sendable func report(_ call: RESTCall, _ body: (BillingWindow, BillingLedger) -> [String: JSONValue]) -> Reply {
        let ledger = world.billingLedger()
        switch BillingWindow.parse(call.query, now: ledger.now) {
        case .failure(let reply): return reply
        case .success(let window): return .json(JSONValue.object(body(window, ledger)))
        }
    }

    rest.on(.get, "/v2/billing", "listBilling") { call in
        report(call) { window, ledger in BillingReport(window: window, ledger: ledger).aggregate() }
    }
    rest.on(.get, "/v2/billing/pods", "listPodBilling") { call in
        report(call) { window, ledger in BillingReport(window: window, ledger: ledger).pods(filter: call.query.get("podId")) }
    }
    rest.on(.get, "/v2/billing/serverless", "listServerlessBilling") { call in
        report(call) { window, ledger in BillingReport(window: window, ledger: ledger).serverless(filter: call.query.get("serverlessId")) }
    }
    rest.on(.get, "/v2/billing/endpoints", "listEndpointBilling") { call in
        report(call) { window, ledger in BillingReport(window: window, ledger: ledger).publicEndpoints() }
    }
    rest.on(.get, "/v2/billing/network-volumes", "listNetworkVolumeBilling") { call in
        report(call) { window, ledger in BillingReport(window: window, ledger: ledger).volumes(filter: call.query.get("networkVolumeId")) }
    }
    rest.on(.get, "/v2/billing/clusters", "listClusterBilling") { call in
        report(call) { window, ledger in BillingReport(window: window, ledger: ledger).clusters(filter: call.query.get("clusterId")) }
    }
}

/// Billing records of one window over one ledger, as JSON objects in RunPod's shapes.
struct BillingReport {
    let window: BillingWindow
    let ledger: BillingLedger

    /// `ListBillingResponse`: one record per bucket with every component.
    func aggregate() -> [String: JSONValue] {
        let keys = [
            "podGpuAmount", "podCpuAmount", "podDiskAmount", "serverlessGpuAmount", "serverlessCpuAmount", "serverlessDiskAmount",
            "serverlessFeeAmount", "storageStandardAmount", "storageHighPerformanceAmount", "endpointAmount", "clusterGpuAmount",
            "clusterDiskAmount", "clusterNetworkingAmount",
        ]
        let records = window.buckets.map { bucket -> [String: Double] in
            var amounts = Dictionary(uniqueKeysWithValues: keys.map { ($0, 0.0) })
            for pod in ledger.pods {
                let (gpu, disk) = cost(pod.spans, bucket)
                amounts[pod.clusterID == nil ? "podGpuAmount" : "clusterGpuAmount", default: 0] += gpu
                amounts[pod.clusterID == nil ? "podDiskAmount" : "clusterDiskAmount", default: 0] += disk
            }
            for volume in ledger.volumes {
                let key = volume.type == "HIGH_PERFORMANCE" ? "storageHighPerformanceAmount" : "storageStandardAmount"
                amounts[key, default: 0] += cost([volume.span], bucket).disk
            }
            amounts["totalAmount"] = amounts.values.reduce(0, +)
            return amounts
        }
        return response(
            records: zip(window.buckets, records).map { record($0.0, $0.1) }, counts: [:], totals: totals(records, keys + ["totalAmount"]))
    }

    /// `ListPodBillingResponse`: per pod (outside clusters) per bucket it billed in.
    func pods(filter: String?) -> [String: JSONValue] {
        var records: [[String: Double]] = []
        var entries: [[String: JSONValue]] = []
        var seen = Set<String>()
        for pod in ledger.pods where pod.clusterID == nil && (filter == nil || filter == pod.id) {
            for bucket in window.buckets where overlaps(pod.spans, bucket) {
                let (gpu, disk) = cost(pod.spans, bucket)
                let amounts = ["totalAmount": gpu + disk, "gpuAmount": gpu, "cpuAmount": 0, "diskAmount": disk]
                records.append(amounts)
                entries.append(record(bucket, amounts, id: ("podId", pod.id)))
                seen.insert(pod.id)
            }
        }
        return response(
            records: entries, counts: ["uniquePodCount": seen.count],
            totals: totals(records, ["totalAmount", "gpuAmount", "cpuAmount", "diskAmount"]),
            filter: ("podId", filter))
    }

    /// `ListServerlessBillingResponse`: per endpoint per bucket since its creation, all 0 (no workers run).
    func serverless(filter: String?) -> [String: JSONValue] {
        let keys = ["totalAmount", "gpuAmount", "cpuAmount", "diskAmount", "feeAmount"]
        var entries: [[String: JSONValue]] = []
        var seen = Set<String>()
        for endpoint in ledger.endpoints where filter == nil || filter == endpoint.id {
            for bucket in window.buckets where bucket.end > endpoint.start && bucket.start < ledger.now {
                entries.append(record(bucket, Dictionary(uniqueKeysWithValues: keys.map { ($0, 0.0) }), id: ("serverlessId", endpoint.id)))
                seen.insert(endpoint.id)
            }
        }
        return response(
            records: entries, counts: ["uniqueServerlessCount": seen.count], totals: totals([], keys), filter: ("serverlessId", filter))
    }

    /// `ListEndpointBillingResponse`: one record per bucket, 0.
    func publicEndpoints() -> [String: JSONValue] {
        response(records: window.buckets.map { record($0, ["totalAmount": 0]) }, counts: [:], totals: totals([], ["totalAmount"]))
    }

    /// `ListNetworkVolumeBillingResponse`: per volume per bucket of its life.
    func volumes(filter: String?) -> [String: JSONValue] {
        var records: [[String: Double]] = []
        var entries: [[String: JSONValue]] = []
        var seen = Set<String>()
        for volume in ledger.volumes where filter == nil || filter == volume.id {
            for bucket in window.buckets where overlaps([volume.span], bucket) {
                let amount = cost([volume.span], bucket).disk
                let fast = volume.type == "HIGH_PERFORMANCE"
                let amounts = ["totalAmount": amount, "standardAmount": fast ? 0 : amount, "highPerformanceAmount": fast ? amount : 0]
                records.append(amounts)
                entries.append(record(bucket, amounts, id: ("networkVolumeId", volume.id)))
                seen.insert(volume.id)
            }
        }
        return response(
            records: entries, counts: ["uniqueNetworkVolumeCount": seen.count],
            totals: totals(records, ["totalAmount", "standardAmount", "highPerformanceAmount"]), filter: ("networkVolumeId", filter))
    }

    /// `ListClusterBillingResponse`: per cluster per bucket its members billed in.
    func clusters(filter: String?) -> [String: JSONValue] {
        var records: [[String: Double]] = []
        var entries: [[String: JSONValue]] = []
        var seen = Set<String>()
        for cluster in ledger.clusters where filter == nil || filter == cluster.id {
            let spans = ledger.pods.filter { $0.clusterID == cluster.id }.flatMap(\.spans)
            for bucket in window.buckets where overlaps(spans, bucket) {
                let (gpu, disk) = cost(spans, bucket)
                let amounts = ["totalAmount": gpu + disk, "gpuAmount": gpu, "diskAmount": disk, "networkingAmount": 0]
                records.append(amounts)
                entries.append(record(bucket, amounts, id: ("clusterId", cluster.id)))
                seen.insert(cluster.id)
            }
        }
        return response(
            records: entries, counts: ["uniqueClusterCount": seen.count],
            totals: totals(records, ["totalAmount", "gpuAmount", "diskAmount", "networkingAmount"]), filter: ("clusterId", filter))
    }

    // MARK: Pieces

    private func cost(_ spans: [CostSpan], _ bucket: (start: Date, end: Date)) -> (gpu: Double, disk: Double) {
        spans.reduce((0, 0)) { sum, span in
            let part = span.cost(from: bucket.start, to: bucket.end, now: ledger.now)
            return (sum.0 + part.gpu, sum.1 + part.disk)
        }
    }

    private func overlaps(_ spans: [CostSpan], _ bucket: (start: Date, end: Date)) -> Bool {
        spans.contains { $0.start < bucket.end && ($0.end ?? ledger.now) > bucket.start && $0.start < ledger.now }
    }

    private func record(_ bucket: (start: Date, end: Date), _ amounts: [String: Double], id: (String, String)? = nil) -> [String: JSONValue] {
        var object = amounts.mapValues { JSONValue.double(Self.dollars($0)) }
        object["startTime"] = .string(Self.time(bucket.start))
        object["endTime"] = .string(Self.time(bucket.end))
        if let id { object[id.0] = .string(id.1) }
        return object
    }

    private func totals(_ records: [[String: Double]], _ keys: [String]) -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: keys.map { key in (key, JSONValue.double(Self.dollars(records.reduce(0) { $0 + ($1[key] ?? 0) }))) })
    }

    private func response(
        records: [[String: JSONValue]], counts: [String: Int], totals: [String: JSONValue], filter: (String, String?)? = nil
    ) -> [String: JSONValue] {
        var query: [String: JSONValue] = [
            "startTime": .string(Self.time(window.start)), "endTime": .string(Self.time(window.end)), "bucketSize": .string(window.bucketSize),
        ]
        if let filter { query[filter.0] = filter.1.map(JSONValue.string) ?? .null }
        var metadata: [String: JSONValue] = ["query": .object(query), "recordCount": .int(records.count), "totals": .object(totals)]
        for (key, count) in counts { metadata[key] = .int(count) }
        return ["records": .array(records.map(JSONValue.object)), "metadata": .object(metadata)]
    }

    /// Rounded to a millionth of a dollar, so sums do not show floating-point dust.
    static func dollars(_ amount: Double) -> Double { (amount * 1_000_000).rounded() / 1_000_000 }

    static func time(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle()) }
}
