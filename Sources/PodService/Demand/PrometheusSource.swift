import AsyncHTTPClient
import Foundation
import Logging

/// `prometheus`: an instant query (`GET /api/v1/query?query=…`) whose answer must be one scalar or a vector of exactly
/// one sample. An empty vector, several samples, a matrix, a string or `"status": "error"` fail the read.
struct PrometheusSource: DemandSource, CustomStringConvertible {
    let url: SourceURL
    let query: String
    let timeout: Duration
    let client: HTTPClient
    let logger: Logger

    var description: String { "prometheus \(url.redacted) query \(query)" }

    /// `url` + `/api/v1/query?query=…`, keeping any path prefix (a Prometheus behind a proxy at `/prometheus`) and any
    /// query parameters of the URL. The query is percent-encoded strictly: a `+` left as is would reach PromQL as a space.
    var queryURL: String {
        var components = url.components
        components.user = nil
        components.password = nil
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        components.percentEncodedPath = path + "/api/v1/query"
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let encoded = query.addingPercentEncoding(withAllowedCharacters: unreserved) ?? query
        let existing = components.percentEncodedQuery.map { $0.isEmpty ? "" : $0 + "&" } ?? ""
        components.percentEncodedQuery = existing + "query=" + encoded
        return components.string ?? url.text
    }

    func backlog() async throws -> Int {
        let shown = url.redacted
        let read = HTTPSourceRead(client: client, timeout: timeout, logger: logger)
        let (status, body) = try await read.get(queryURL, url: url)
        func fail(_ code: DemandSourceError.Code, _ message: String) -> DemandSourceError {
            DemandSourceError(code, source: shown, message: message).scrubbed(of: url.secrets)
        }
        // Prometheus answers errors with a JSON body and 400, 422 or 503: read the body before judging the status.
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(buffer: body)) else {
            guard (200..<300).contains(status) else { throw HTTPSourceRead.statusError(status, body: body, source: shown, secrets: url.secrets) }
            throw fail(.badAnswer, "the answer is not a Prometheus API response: \(HTTPSourceRead.excerpt(body))")
        }
        guard answer.status == "success", (200..<300).contains(status) else {
            let kind = answer.errorType.map { " (\($0))" } ?? ""
            let code: DemandSourceError.Code = status == 401 || status == 403 ? .authenticationFailed : .queryFailed
            throw fail(code, "the query failed\(kind), HTTP \(status): \(answer.error ?? "no error message").")
        }
        guard let data = answer.data else { throw fail(.badAnswer, "the answer has no data.") }
        let text: String
        switch (data.resultType, data.result) {
        case ("scalar", .array(let pair)):
            guard let value = Self.sampleValue(pair) else { throw fail(.badAnswer, "the scalar is not a [time, \"value\"] pair.") }
            text = value
        case ("vector", .array(let samples)):
            guard samples.count == 1 else {
                let hint =
                    samples.isEmpty
                    ? "; if no series means no backlog, append `or vector(0)` to the query"
                    : "; aggregate them, as in sum(…)"
                throw fail(.badAnswer, "the query returned \(samples.count) samples, not one\(hint).")
            }
            guard case .object(let sample) = samples[0], case .array(let pair)? = sample["value"], let value = Self.sampleValue(pair) else {
                throw fail(.badAnswer, "the sample has no [time, \"value\"] pair.")
            }
            text = value
        default:
            throw fail(
                .badAnswer, "the query returned a \(data.resultType), not a scalar or a one-sample vector; query an instant value, as in sum(…).")
        }
        guard let number = Double(text) else { throw fail(.badAnswer, "the value \"\(text.prefix(40))\" is not a number.") }
        switch backlogCount(number, what: "the query's value") {
        case .success(let count):
            logger.debug("demand read", metadata: ["source": "\(shown)", "backlog": "\(count)"])
            return count
        case .failure(let mismatch):
            throw fail(.badAnswer, mismatch.message + ".")
        }
    }

    /// The value of `[1712345678.123, "42"]`: Prometheus sends sample values as strings ("NaN" and "+Inf" included).
    private static func sampleValue(_ pair: [SourceJSON]) -> String? {
        guard pair.count == 2, case .string(let value) = pair[1] else { return nil }
        return value
    }

    /// The envelope of every Prometheus HTTP API answer.
    private struct Answer: Decodable {
        var status: String
        var data: Payload?
        var errorType: String?
        var error: String?
    }

    private struct Payload: Decodable {
        var resultType: String
        var result: SourceJSON
    }
}
