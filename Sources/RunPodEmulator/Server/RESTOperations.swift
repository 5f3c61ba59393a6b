import Hummingbird
import Synchronization

/// The REST operations the emulator serves, as registered: method, path template and RunPod's operationId.
///
/// The gate reads it to tell a wrong method on a documented path (405 with `Allow`) from an unknown path (404), and
/// the core to refuse read-only keys every method but GET.
final class RESTOperations: Sendable {
    struct Operation: Sendable {
        var method: HTTPRequest.Method
        var template: [Substring]
        var id: String
    }

    private let table = Mutex<[Operation]>([])

    /// Records one operation.
    func add(_ method: HTTPRequest.Method, _ path: String, _ id: String) {
        table.withLock { $0.append(Operation(method: method, template: path.split(separator: "/"), id: id)) }
    }

    /// Whether an operation changes the world (anything but GET).
    func isMutating(_ id: String) -> Bool {
        table.withLock { table in table.first { $0.id == id }.map { $0.method != .get } ?? false }
    }

    /// The methods documented for a concrete path (empty when no template matches it).
    func methods(forPath path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return table.withLock { table in
            table.filter { operation in
                operation.template.count == segments.count
                    && zip(operation.template, segments).allSatisfy { template, segment in template.hasPrefix("{") || template == segment }
            }.map(\.method)
        }
    }
}
