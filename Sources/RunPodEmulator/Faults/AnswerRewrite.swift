import Foundation
import NIOCore

/// Rewrites an answer's body for the faults that break the contract after a request was handled.
enum AnswerRewrite {
    /// What a captive portal or a CDN in front of the API serves instead of JSON.
    static let htmlPage = """
        <!DOCTYPE html>
        <html><head><title>Just a moment...</title></head>
        <body><h1>Checking your browser before accessing api.runpod.io</h1></body></html>

        """

    /// The body `kind` turns `body` into; nil when `kind` does not rewrite bodies.
    static func apply(_ kind: FaultKind, to body: ByteBuffer?) -> ByteBuffer? {
        switch kind {
        case .htmlAnswer:
            return ByteBuffer(string: htmlPage)
        case .alterField(let field, let value):
            guard let body, let data = body.getData(at: body.readerIndex, length: body.readableBytes) else { return body }
            guard let document = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return body }
            let replacement: Any? = value.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8), options: [.fragmentsAllowed]) }
            let altered = alter(document, field: field, value: replacement, inList: false)
            guard let out = try? JSONSerialization.data(withJSONObject: altered, options: [.fragmentsAllowed]) else { return body }
            return ByteBuffer(bytes: out)
        default:
            return nil
        }
    }

    /// Sets (or removes) `field` in a resource, in each object of a list answer, and in each object of a list a wrapper
    /// object holds (`{"pods": [...]}`); a wrapper that lacks the field is left as it is.
    private static func alter(_ node: Any, field: String, value: Any?, inList: Bool) -> Any {
        if var object = node as? [String: Any] {
            let lists = object.filter { $0.key != field && $0.value is [Any] }.map(\.key)
            if inList || object[field] != nil || lists.isEmpty { object[field] = value }
            if !inList {
                for key in lists {
                    object[key] = (object[key] as? [Any])?.map { alter($0, field: field, value: value, inList: true) }
                }
            }
            return object
        }
        if let list = node as? [Any], !inList { return list.map { alter($0, field: field, value: value, inList: true) } }
        return node
    }
}
