import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// One bounded GET for the HTTP sources: userinfo sent as basic auth (never in the request line), the whole read
/// (connect, head, body) within `timeout`, and every failure a `DemandSourceError` scrubbed of the URL's secrets.
struct HTTPSourceRead: Sendable {
    /// Bodies larger than this are refused: a backlog answer is small.
    static let maxBody = 4 << 20

    let client: HTTPClient
    let timeout: Duration
    let logger: Logger

    /// The status and body of `GET target`, where `target` is `url` or a URL built from it (same userinfo and secrets).
    func get(_ target: String, url: SourceURL) async throws(DemandSourceError) -> (status: UInt, body: ByteBuffer) {
        let shown = url.redacted
        var request = HTTPClientRequest(url: target)
        request.headers.add(name: "Accept", value: "application/json")
        if let authorization = url.basicAuthorization { request.headers.add(name: "Authorization", value: authorization) }
        let prepared = request
        let client = self.client
        let timeout = self.timeout
        let logger = self.logger
        do {
            return try await withDeadline(timeout, source: shown) {
                let response = try await client.execute(prepared, timeout: .nanoseconds(Int64(timeout.nanoseconds)), logger: logger)
                let body = try await response.body.collect(upTo: Self.maxBody)
                return (response.status.code, body)
            }
        } catch let error as DemandSourceError {
            throw error.scrubbed(of: url.secrets)
        } catch let error as HTTPClientError where [HTTPClientError.deadlineExceeded, .connectTimeout, .readTimeout].contains(error) {
            throw DemandSourceError(.timedOut, source: shown, message: "no answer within \(timeout.secondsText) (timeoutSeconds).")
        } catch is NIOTooManyBytesError {
            throw DemandSourceError(.badAnswer, source: shown, message: "the answer is larger than \(Self.maxBody >> 20) MiB.")
        } catch {
            let message = "cannot reach the server: \(String(describing: error))."
            throw DemandSourceError(.connectionFailed, source: shown, message: message).scrubbed(of: url.secrets)
        }
    }

    /// The error for an HTTP status outside 2xx, quoting the start of the body.
    static func statusError(_ status: UInt, body: ByteBuffer, source: String, secrets: [String]) -> DemandSourceError {
        let code: DemandSourceError.Code = status == 401 || status == 403 ? .authenticationFailed : .queryFailed
        var message = "the server answered HTTP \(status)"
        if code == .authenticationFailed { message += " (check the user and password in the URL)" }
        let excerpt = excerpt(body)
        message += excerpt.isEmpty ? "." : ": \(excerpt)"
        return DemandSourceError(code, source: source, message: message).scrubbed(of: secrets)
    }

    /// The first 200 characters of a body, on one line.
    static func excerpt(_ body: ByteBuffer) -> String {
        let text = String(buffer: body).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Double {
        Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9
    }
}
