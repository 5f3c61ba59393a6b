import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /`: one server-rendered page with each pool's pods by state, demand against desired over the last hour (an
/// SVG chart), leases, and cost per hour now and spent today; kept live by `GET /dashboard/events`, a stream of the
/// same fragment re-rendered at each change. Like `/metrics` it needs no token, so it shows only counts, money and
/// pool names: no launch names, pod IDs or URLs.
enum Dashboard {
    static func add(to router: Router<BasicRequestContext>, service: ServiceContext) {
        router.get("/") { _, _ in
            let fragment = try await render(service)
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page(fragment))))
        }
        router.get("dashboard/events") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            let changes = service.store.changes.subscribe()
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    let (beats, beat) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                    beat.yield()  // The page as it is now, at once.
                    let forward = Task {
                        for await _ in changes { beat.yield() }
                        beat.finish()
                    }
                    // Costs and the chart move without any state change: a refresh every 5 s as well.
                    let timer = Task {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: .seconds(5))
                            beat.yield()
                        }
                    }
                    defer {
                        forward.cancel()
                        timer.cancel()
                    }
                    for await _ in beats {
                        let fragment = try await render(service)
                        let data = fragment.split(separator: "\n", omittingEmptySubsequences: false).map { "data: \($0)" }.joined(separator: "\n")
                        try await writer.write(ByteBuffer(string: "event: fragment\n\(data)\n\n"))
                    }
                    try await writer.finish(nil)
                })
        }
    }

    static func page(_ fragment: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>runpod-launcher</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1d2330; background: #f7f8fa; }
        h1 { font-size: 20px; } h2 { font-size: 16px; margin: 0 0 .5em; }
        .pool { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 1em 1.2em; margin: 0 0 1em; max-width: 760px; }
        .states span { display: inline-block; margin-right: 1em; } .muted { color: #6b7385; } .warn { color: #b3261e; }
        table { border-collapse: collapse; } td { padding: 2px 12px 2px 0; }
        </style></head>
        <body><h1>runpod-launcher</h1>
        <div id="live">\(fragment)</div>
        <script>
        const source = new EventSource("/dashboard/events");
        source.addEventListener("fragment", (event) => { document.getElementById("live").innerHTML = event.data; });
        </script>
        </body></html>
        """
    }

    /// The live part of the page.
    static func render(_ service: ServiceContext) async throws -> String {
        let now = service.now()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let midnight = calendar.startOfDay(for: now)
        let billed = try await service.store.launches(billingSince: midnight)
        func spentToday(_ launches: [Launch]) -> Double {
            launches.reduce(0) { total, launch in
                guard let rate = launch.costPerHour, let start = launch.podCreatedAt else { return total }
                let from = max(start, midnight)
                let to = launch.endedAt ?? now
                return total + rate * max(0, to.timeIntervalSince(from)) / 3600
            }
        }
        var html = ""
        let pools = try await service.store.pools()
        if pools.isEmpty { html += "<p class=\"muted\">No pools yet: declare [pools.NAME] in profiles.toml or PUT /v1/pools/NAME.</p>\n" }
        for pool in pools {
            let name = pool.settings.name
            let launches = try await service.store.poolLaunches(name)
            let leases = try await service.store.heldLeases(pool: name)
            let status = try await service.store.poolStatus(name) ?? PoolRuntime.Status()
            var byState: [LaunchState: Int] = [:]
            for launch in launches { byState[launch.state, default: 0] += 1 }
            let rate = launches.reduce(0.0) { $0 + ($1.state == .terminating ? 0 : $1.costPerHour ?? 0) }
            html += "<section class=\"pool\"><h2>pool \(escape(name))\(pool.deleting ? " <span class=\"warn\">(deleting)</span>" : "")</h2>\n"
            html += "<div class=\"states\">"
            for state in LaunchState.live { html += "<span>\(state.rawValue): <b>\(byState[state] ?? 0)</b></span>" }
            html += "</div>\n<table>"
            html +=
                "<tr><td>demand</td><td><b>\(status.demand.total)</b> (backlog \(status.demand.backlog), in flight \(status.demand.inFlight))</td></tr>"
            html +=
                "<tr><td>desired</td><td><b>\(status.decision.desired)</b> <span class=\"muted\">\(escape(status.decision.reason))</span></td></tr>"
            html += "<tr><td>leases</td><td>\(leases.count) held, \(try await service.store.waitingLeaseRequests(pool: name)) waiting</td></tr>"
            html += "<tr><td>cost</td><td>\(money(rate))/h now, \(money(spentToday(billed.filter { $0.pool == name }))) today</td></tr>"
            if let degraded = status.degraded { html += "<tr><td class=\"warn\">source</td><td class=\"warn\">\(escape(degraded))</td></tr>" }
            html += "</table>\n" + chart(status.history, now: now) + "</section>\n"
        }
        let solo = billed.filter { $0.pool == nil }
        let live = solo.filter { !$0.state.isFinal }
        html += "<section class=\"pool\"><h2>launches outside pools</h2><div class=\"states\">"
        for state in LaunchState.live { html += "<span>\(state.rawValue): <b>\(live.filter { $0.state == state }.count)</b></span>" }
        html += "</div><p>\(money(live.reduce(0) { $0 + ($1.costPerHour ?? 0) }))/h now, \(money(spentToday(solo))) today</p></section>\n"
        html += "<p class=\"muted\">updated \(LaunchView.timestamp(now))</p>"
        return html
    }

    /// Demand (blue) and desired (orange) over the last hour, and the pods the pool had (grey), as an SVG chart.
    static func chart(_ samples: [PoolRuntime.Sample], now: Date) -> String {
        let width = 720.0
        let height = 120.0
        guard !samples.isEmpty else { return "<p class=\"muted\">no history yet</p>" }
        let top = Double(max(1, samples.map { max($0.demand, $0.desired, $0.pods) }.max() ?? 1))
        func x(_ date: Date) -> Double { width * (1 - min(3600, max(0, now.timeIntervalSince(date))) / 3600) }
        func y(_ value: Int) -> Double { height - 4 - (height - 8) * Double(value) / top }
        func line(_ value: (PoolRuntime.Sample) -> Int, _ colour: String) -> String {
            let points = samples.map { String(format: "%.1f,%.1f", x($0.at), y(value($0))) }.joined(separator: " ")
            return "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points)\"/>"
        }
        return """
            <svg width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="demand and desired pods, last hour">
            <rect width="100%" height="100%" fill="#fbfcfd" stroke="#e3e6eb"/>
            \(line({ $0.pods }, "#9aa1ad"))\(line({ $0.demand }, "#2f6fde"))\(line({ $0.desired }, "#e8871e"))
            <text x="6" y="14" font-size="11" fill="#6b7385">max \(Int(top)) · last hour · demand (blue), desired (orange), pods (grey)</text>
            </svg>
            """
    }

    static func money(_ value: Double) -> String { String(format: "$%.2f", value) }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
