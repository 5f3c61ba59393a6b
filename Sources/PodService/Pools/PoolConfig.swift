import Foundation
import TOMLKit

/// The pools of a profiles file: one `[pools.NAME]` table each, keys spelled as the file's other keys
/// (`per-pod-concurrency`, `idle-timeout-seconds`, …), `source` an inline table (`{ kind = "redis", … }`).
/// They are written to the database at each start (origin `config`); pools made with `PUT /v1/pools` stay.
public enum PoolConfig {
    /// The pools declared in `path`; none when it has no `pools` table. Throws naming the file, pool and key.
    public static func load(path: String) throws -> [PoolSettings] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PoolConfigError(path: path, "cannot be read (\(error.localizedDescription)).")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> [PoolSettings] {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch {
            throw PoolConfigError(path: path, "not valid TOML: \(error).")
        }
        guard let value = root["pools"] else { return [] }
        guard let pools = value.table else { throw PoolConfigError(path: path, "`pools` must be tables, as in [pools.comfyui].") }
        var settings: [PoolSettings] = []
        for name in pools.keys.sorted() {
            guard let table = pools[name]?.table else { throw PoolConfigError(path: path, "pools.\(name) must be a table ([pools.\(name)]).") }
            settings.append(try pool(name, table, path: path))
        }
        return settings
    }

    static let keys = [
        "profile", "min", "max", "per-pod-concurrency", "idle-timeout-seconds", "scale-down-delay-seconds", "activation-backlog",
        "max-cost-per-hour", "drain-timeout-seconds", "drain-timeout-action", "source",
    ]

    private static func pool(_ name: String, _ table: TOMLTable, path: String) throws -> PoolSettings {
        func fail(_ key: String, _ message: String) -> PoolConfigError { PoolConfigError(path: path, "[pools.\(name)] \(key) \(message)") }
        func int(_ key: String) throws -> Int? {
            guard let value = table[key] else { return nil }
            guard let number = value.int else { throw fail(key, "must be a whole number.") }
            return number
        }
        guard PoolSettings.isValidName(name) else {
            throw PoolConfigError(path: path, "pool name '\(name)' must be 1 to 64 letters, digits, '-' or '_'.")
        }
        for key in table.keys where !keys.contains(key) {
            throw fail(key, "is not a pool setting (known: \(keys.joined(separator: ", "))).")
        }
        guard let max = try int("max") else { throw fail("max", "is required: the most pods the pool may have.") }
        var settings = PoolSettings(name: name, max: max)
        if let value = table["profile"] {
            guard let text = value.string, !text.isEmpty else { throw fail("profile", "must be a profile name.") }
            settings.profile = text
        }
        settings.min = try int("min") ?? settings.min
        settings.perPodConcurrency = try int("per-pod-concurrency") ?? settings.perPodConcurrency
        settings.idleTimeoutSeconds = try int("idle-timeout-seconds") ?? settings.idleTimeoutSeconds
        settings.scaleDownDelaySeconds = try int("scale-down-delay-seconds") ?? settings.scaleDownDelaySeconds
        settings.activationBacklog = try int("activation-backlog") ?? settings.activationBacklog
        settings.drainTimeoutSeconds = try int("drain-timeout-seconds") ?? settings.drainTimeoutSeconds
        if let value = table["max-cost-per-hour"] {
            guard let number = value.double ?? value.int.map(Double.init) else {
                throw fail("max-cost-per-hour", "must be a number of USD per hour.")
            }
            settings.maxCostPerHour = number
        }
        if let value = table["drain-timeout-action"] {
            guard let text = value.string, let action = PoolSettings.DrainTimeoutAction(rawValue: text) else {
                throw fail("drain-timeout-action", "must be \"keepWaiting\" or \"terminate\".")
            }
            settings.drainTimeoutAction = action
        }
        if let value = table["source"] {
            guard let source = value.table else { throw fail("source", "must be an inline table, as in { kind = \"push\" }.") }
            do {
                settings.source = try DemandSourceSpec(toml: source)
            } catch {
                throw fail("source" + (error.key.map { ".\($0)" } ?? ""), error.message)
            }
        }
        if let problem = settings.problems().first {
            throw fail(kebab(problem.key), problem.message + ".")
        }
        return settings
    }
}

/// `maxCostPerHour` → `max-cost-per-hour`: the API's key as the file spells it.
func kebab(_ key: String) -> String {
    key.reduce(into: "") { text, character in
        if character.isUppercase { text += "-" + character.lowercased() } else { text.append(character) }
    }
}

public struct PoolConfigError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}
