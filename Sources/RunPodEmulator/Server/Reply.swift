import Foundation
import Hummingbird
import NIOCore

/// An answer before it becomes a `Response`: fault injection needs the body bytes (to truncate or corrupt them).
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields = [:]
    var body: ByteBuffer?
    /// Set for streamed answers (logs), which faults that rewrite the body leave alone.
    var stream: ResponseBody?

    init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: ByteBuffer? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer from an encodable value.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Reply {
        let data = (try? JSONCoding.encoder.encode(value)) ?? Data("{}".utf8)
        return raw(data, status: status, contentType: "application/json")
    }

    /// A body with a content type.
    static func raw(_ data: some Sequence<UInt8>, status: HTTPResponse.Status, contentType: String) -> Reply {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Reply(status: status, headers: headers, body: ByteBuffer(bytes: data))
    }

    /// An RFC 9457 problem (`application/problem+json`), RunPod's error shape.
    static func problem(_ status: HTTPResponse.Status, detail: String, errors: [String]? = nil) -> Reply {
        let problem = Problem(title: status.reasonPhrase, status: status.code, detail: detail, errors: errors)
        let data = (try? JSONCoding.encoder.encode(problem)) ?? Data()
        return raw(data, status: status, contentType: "application/problem+json")
    }

    /// 204 with no body.
    static var noContent: Reply { Reply(status: .noContent) }

    var response: Response {
        if let stream { return Response(status: status, headers: headers, body: stream) }
        guard let body else { return Response(status: status, headers: headers) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}

/// RunPod's error body.
struct Problem: Codable, Sendable {
    var title: String
    var status: Int
    var detail: String
    var errors: [String]?
}

/// One encoder for every answer, so dates and key order are the same everywhere.
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// RFC 3339 with milliseconds: scaled-down time makes events milliseconds apart.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// Lets parsers return an early answer as the failure of a `Result`.
extension Reply: Error {}
