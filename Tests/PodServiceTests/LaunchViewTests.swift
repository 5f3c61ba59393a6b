import Foundation
import NIOCore
import PodLauncher
import Testing

@testable import PodService

@Suite("the Launch JSON")
struct LaunchViewTests {
    static let created = Date(timeIntervalSince1970: 1_795_947_330.25)  // 2026-11-29T10:15:30.250Z

    static func launch() -> Launch {
        Launch(
            id: "0f3c9a5e7b2d4c6e8a1b3d5f7e9c0a2b", name: "comfyui-brisk-otter-0f3c", plan: LaunchPlanRecord(spec: LaunchSpec(), timeoutSeconds: 300),
            createdAt: created)
    }

    func json(_ launch: Launch, now: Date = created) throws -> [String: Any] {
        let buffer = LaunchView.encode(launch, now: now)
        return try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    /// The contract's `Launch` schema, read from the document the service serves.
    func launchSchema() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../Sources/PodService/Resources/openapi.json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let components = try #require(document["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        return try #require(schemas["Launch"] as? [String: Any])
    }

    @Test("a new launch shows every property of the contract's schema, the unknown ones as null")
    func everyKeyPresent() throws {
        let object = try json(Self.launch())
        let schema = try launchSchema()
        let required = try #require(schema["required"] as? [String])
        let properties = try #require(schema["properties"] as? [String: Any])
        #expect(Set(object.keys) == Set(required))
        #expect(Set(object.keys) == Set(properties.keys))
        for key in ["podId", "pool", "gpuTypeId", "dataCenterId", "costPerHr", "urls", "readyAt", "endedAt", "error"] {
            #expect(object[key] is NSNull, "\(key) should be null")
        }
        #expect(object["id"] as? String == "0f3c9a5e7b2d4c6e8a1b3d5f7e9c0a2b")
        #expect(object["state"] as? String == "pending")
        #expect(object["name"] as? String == "comfyui-brisk-otter-0f3c")
        #expect(object["createdAt"] as? String == "2026-11-29T10:15:30.250Z")
        #expect(object["cost"] as? Double == 0)
    }

    @Test("keys come in the contract's order, and nothing is left out when null")
    func exactText() {
        let text = String(buffer: LaunchView.encode(Self.launch(), now: Self.created))
        #expect(
            text
                == #"{"id":"0f3c9a5e7b2d4c6e8a1b3d5f7e9c0a2b","state":"pending","podId":null,"name":"comfyui-brisk-otter-0f3c","pool":null,"#
                + #""gpuTypeId":null,"dataCenterId":null,"costPerHr":null,"urls":null,"createdAt":"2026-11-29T10:15:30.250Z","readyAt":null,"#
                + #""endedAt":null,"cost":0,"error":null}"#)
    }

    @Test("a ready launch: urls keyed by port as strings, readyAt, and cost at now from the pod's creation")
    func ready() throws {
        var launch = Self.launch()
        launch.state = .ready
        launch.podID = "xk2vq8r1m4n7ab"
        launch.gpuTypeID = "NVIDIA GeForce RTX 4090"
        launch.dataCenterID = "EU-RO-1"
        launch.costPerHour = 0.69
        launch.podCreatedAt = Self.created.addingTimeInterval(10)
        launch.readyAt = Self.created.addingTimeInterval(92.65)
        launch.urls = [8188: "https://xk2vq8r1m4n7ab-8188.proxy.runpod.net", 3000: "https://xk2vq8r1m4n7ab-3000.proxy.runpod.net"]
        let object = try json(launch, now: Self.created.addingTimeInterval(10 + 1800))
        #expect(object["state"] as? String == "ready")
        #expect(object["podId"] as? String == "xk2vq8r1m4n7ab")
        #expect(object["costPerHr"] as? Double == 0.69)
        #expect(abs((object["cost"] as? Double ?? -1) - 0.345) < 1e-9)
        #expect(object["readyAt"] as? String == "2026-11-29T10:17:02.900Z")
        #expect(
            object["urls"] as? [String: String] == [
                "8188": "https://xk2vq8r1m4n7ab-8188.proxy.runpod.net", "3000": "https://xk2vq8r1m4n7ab-3000.proxy.runpod.net",
            ])
        let text = String(buffer: LaunchView.encode(launch, now: Self.created))
        // Ports in order, and URLs with their slashes as they are.
        #expect(text.contains(#""urls":{"3000":"https://xk2vq8r1m4n7ab-3000.proxy.runpod.net","8188":"#))
    }

    @Test("a failed launch shows error as {kind, message}, endedAt, and the cost at its end however late it is read")
    func failed() throws {
        var launch = Self.launch()
        launch.state = .failed
        launch.costPerHour = 1.0
        launch.podCreatedAt = Self.created
        launch.endedAt = Self.created.addingTimeInterval(3600)
        launch.error = LaunchFailure(kind: "timedOut", message: "pod x was not ready within 300 s; it was terminated")
        let object = try json(launch, now: Self.created.addingTimeInterval(86_400))
        #expect(object["error"] as? [String: String] == ["kind": "timedOut", "message": "pod x was not ready within 300 s; it was terminated"])
        #expect(object["endedAt"] as? String == "2026-11-29T11:15:30.250Z")
        #expect(abs((object["cost"] as? Double ?? -1) - 1.0) < 1e-9)
    }

    @Test("a hostile name round-trips exactly, and the JSON stays on one line (an SSE data: field)")
    func hostileName() throws {
        var launch = Self.launch()
        launch.name = "a\nb\r\n\"c\" \\ \u{0} \u{1F} </script> 💥 \u{2028}"
        launch.error = LaunchFailure(kind: "unexpected", message: "line 1\nline 2")
        let buffer = LaunchView.encode(launch, now: Self.created)
        #expect(!buffer.readableBytesView.contains(UInt8(ascii: "\n")))
        #expect(!buffer.readableBytesView.contains(UInt8(ascii: "\r")))
        let object = try json(launch)
        #expect(object["name"] as? String == launch.name)
    }

    @Test("the list is {pods, nextCursor}, with nextCursor null on the last page")
    func list() throws {
        var second = Self.launch()
        second.id = "1f3c9a5e7b2d4c6e8a1b3d5f7e9c0a2b"
        let buffer = LaunchView.encodeList([Self.launch(), second], nextCursor: nil, now: Self.created)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
        #expect(Set(object.keys) == ["pods", "nextCursor"])
        #expect(object["nextCursor"] is NSNull)
        let pods = try #require(object["pods"] as? [[String: Any]])
        #expect(pods.map { $0["id"] as? String } == [Self.launch().id, second.id])
        #expect(pods.allSatisfy { $0.keys.count == 14 && $0["urls"] is NSNull })
        let paged = LaunchView.encodeList([], nextCursor: "abc", now: Self.created)
        #expect(String(buffer: paged) == #"{"pods":[],"nextCursor":"abc"}"#)
    }

    @Test(
        "timestamps are RFC 3339 UTC with milliseconds",
        arguments: [
            (0.0, "1970-01-01T00:00:00.000Z"), (-0.5, "1969-12-31T23:59:59.500Z"), (951_868_800.0, "2000-03-01T00:00:00.000Z"),
            (1_709_251_199.999, "2024-02-29T23:59:59.999Z"), (1.001, "1970-01-01T00:00:01.001Z"), (1_795_947_330.25, "2026-11-29T10:15:30.250Z"),
            (253_402_300_799.0, "9999-12-31T23:59:59.000Z"),
        ])
    func timestamps(seconds: Double, text: String) {
        #expect(LaunchView.timestamp(Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test("the calendar arithmetic agrees with Foundation's for every day from 1900 to 2200")
    func calendarSweep() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        for day in stride(from: -25_567, through: 84_000, by: 1) {
            let seconds = Double(day) * 86_400 + 45_296  // 12:34:56
            let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: seconds))
            let expected = String(format: "%04d-%02d-%02dT12:34:56.000Z", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
            let actual = LaunchView.timestamp(Date(timeIntervalSince1970: seconds))
            if actual != expected {
                Issue.record("day \(day): \(actual) != \(expected)")
                return
            }
        }
    }

    @Test("a cost the JSON cannot carry (NaN, infinity, negative) shows as 0 rather than failing the answer")
    func oddCost() throws {
        var launch = Self.launch()
        launch.costPerHour = .infinity
        launch.podCreatedAt = Self.created
        let object = try json(launch, now: Self.created.addingTimeInterval(60))
        #expect(object["cost"] as? Double == 0)
        #expect(object["costPerHr"] as? Double == 0)
    }
}
