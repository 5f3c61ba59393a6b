import AsyncHTTPClient
import Foundation
import Logging

/// `http-json`: GET a URL and read the number at a JSON path (Flower's `/api/queues/length`, a job API, KEDA's
/// metrics-api shape). A number, or a string holding one, is accepted; anything else at the path is a `badAnswer`.
struct HTTPJSONSource: DemandSource, CustomStringConvertible {
    let url: SourceURL
    let path: JSONPath
    let timeout: Duration
    let client: HTTPClient
    let logger: Logger

    var description: String { "http-json \(url.redacted) path \(path)" }

    func backlog() async throws -> Int {
        let shown = url.redacted
        let read = HTTPSourceRead(client: client, timeout: timeout, logger: logger)
        let (status, body) = try await read.get(url.withoutUserinfo, url: url)
        guard (200..<300).contains(status) else {
            throw HTTPSourceRead.statusError(status, body: body, source: shown, secrets: url.secrets)
        }
        func bad(_ message: String) -> DemandSourceError {
            DemandSourceError(.badAnswer, source: shown, message: message).scrubbed(of: url.secrets)
        }
        let document: SourceJSON
        do {
            document = try JSONDecoder().decode(SourceJSON.self, from: Data(buffer: body))
        } catch {
            throw bad("the answer is not JSON: \(HTTPSourceRead.excerpt(body))")
        }
        let value: SourceJSON
        switch path.value(in: document) {
        case .success(let found): value = found
        case .failure(let miss): throw bad("path \(path) does not match the answer: \(miss.message).")
        }
        let number: Double
        switch value {
        case .number(let found): number = found
        case .string(let text):
            guard let parsed = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw bad("the value at \(path) is the string \"\(text.prefix(80))\", not a number.")
            }
            number = parsed
        default:
            throw bad("the value at \(path) is \(value.typeName), not a number.")
        }
        switch backlogCount(number, what: "the value at \(path)") {
        case .success(let count):
            logger.debug("demand read", metadata: ["source": "\(shown)", "backlog": "\(count)"])
            return count
        case .failure(let mismatch):
            throw bad(mismatch.message + ".")
        }
    }
}
