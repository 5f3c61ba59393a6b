import Foundation
import TOMLKit

/// Turns the profiles file into `LaunchProfile`s. TOMLKit parses; this checks every key and type, and finds the line
/// of an offending key in the text (TOMLKit reports lines only for syntax errors).
struct ProfileParser {
    let text: String
    let path: String

    /// `[pools.NAME]` tables belong to the service (`PodService.PoolConfig`), not to launch profiles: no profile is
    /// named `pools`.
    static let poolsKey = "pools"

    func parse() throws(ProfileError) -> LaunchProfiles {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ProfileError(path: path, line: error.source.begin.line, message: "not valid TOML: \(error.description).")
        } catch {
            throw ProfileError(path: path, message: "is not valid TOML.")
        }
        var profiles: [LaunchProfile] = []
        for name in table.keys where name != Self.poolsKey {
            guard let value = table[name] else { continue }
            guard let section = value.table else {
                throw ProfileError(
                    path: path, line: locate(key: name, in: nil), key: name,
                    message: "set outside any profile; put settings under a table header such as [comfyui].")
            }
            profiles.append(try profile(name, section))
        }
        return LaunchProfiles(path: path, profiles: profiles.sorted { ($0.line, $0.name) < ($1.line, $1.name) })
    }

    private func profile(_ name: String, _ table: TOMLTable) throws(ProfileError) -> LaunchProfile {
        var profile = LaunchProfile(name: name, line: locateHeader(name) ?? locate(key: name, in: nil) ?? 0)
        for key in table.keys {
            guard let value = table[key] else { continue }
            let field = Field(parser: self, profile: name, key: key, value: value)
            switch key {
            case "image": profile.image = try field.nonEmptyString()
            case "gpus": profile.gpuTypeIDs = try field.nonEmptyStrings()
            case "gpu-count": profile.gpuCount = try field.positiveInt()
            case "cloud-type":
                let text = try field.nonEmptyString()
                guard let cloud = CloudType(rawValue: text.uppercased()) else { throw field.fail("must be ALL, SECURE or COMMUNITY, not '\(text)'.") }
                profile.cloudType = cloud
            case "network-volume":
                if profile.networkVolumeIDs != nil { throw field.fail("conflicts with network-volumes; use one of them.") }
                profile.networkVolumeIDs = [try field.nonEmptyString()]
            case "network-volumes":
                if profile.networkVolumeIDs != nil { throw field.fail("conflicts with network-volume; use one of them.") }
                profile.networkVolumeIDs = try field.nonEmptyStrings()
            case "no-network-volume": profile.noNetworkVolume = try field.bool()
            case "mount-path":
                let text = try field.nonEmptyString()
                guard text.hasPrefix("/") else { throw field.fail("must be an absolute path, as in /workspace.") }
                profile.mountPath = text
            case "ports": profile.ports = try field.ports()
            case "env": profile.env = try field.env()
            case "container-disk": profile.containerDiskGB = try field.positiveInt()
            case "min-cuda":
                let text = try field.nonEmptyString()
                guard LaunchSpec.isCUDAVersion(text) else { throw field.fail("must be MAJOR.MINOR, as in \"12.4\" (got '\(text)').") }
                profile.minCUDAVersion = text
            case "min-ram-per-gpu": profile.minRAMPerGPU = try field.positiveInt()
            case "min-vcpus-per-gpu": profile.minVCPUsPerGPU = try field.positiveInt()
            case "timeout": profile.timeout = try field.duration(positive: true)
            case "ready-path":
                let text = try field.nonEmptyString()
                guard text.hasPrefix("/") else { throw field.fail("must start with '/', as in /system_stats.") }
                profile.readyPath = text
            case "no-probe": profile.noProbe = try field.bool()
            case "max-lifetime": profile.maxLifetime = try field.duration(positive: true)
            case "max-cost":
                let dollars = try field.number()
                guard dollars > 0 else { throw field.fail("must be a positive number of USD, not \(dollars).") }
                profile.maxCost = dollars
            case "wait-for-capacity": profile.waitForCapacity = try field.duration(positive: false)
            case "start-command": profile.startCommand = try field.nonEmptyString()
            case "pod-side-deadline": profile.podSideDeadline = try field.bool()
            default:
                let known = LaunchProfile.keys.map(\.key)
                let suggestion = Self.suggest(key, among: known).map { " Did you mean '\($0)'?" } ?? ""
                throw field.fail("unknown key.\(suggestion) Valid keys: \(known.joined(separator: ", ")).")
            }
        }
        if profile.noNetworkVolume == true, profile.networkVolumeIDs != nil {
            throw ProfileError(
                path: path, line: profile.line, key: name, message: "sets both no-network-volume and a network volume; keep one.")
        }
        if profile.podSideDeadline == true, profile.startCommand == nil {
            throw ProfileError(
                path: path, line: locate(key: "pod-side-deadline", in: name), key: "\(name).pod-side-deadline",
                message: "needs start-command: the image's own start command, which the deadline wrapper runs.")
        }
        return profile
    }

    /// The closest valid key, when it is close enough to be what was meant.
    static func suggest(_ key: String, among known: [String]) -> String? {
        guard let closest = Validation.closest(to: key, in: known) else { return nil }
        let lowered = key.lowercased()
        if closest.contains(lowered) || lowered.contains(closest) { return closest }
        let normalized = lowered.replacingOccurrences(of: "_", with: "-")
        if normalized == closest { return closest }
        return Validation.editDistance(normalized, closest) <= max(2, closest.count / 3) ? closest : nil
    }

    // MARK: Finding lines

    /// 1-based line of `[name]`.
    func locateHeader(_ name: String) -> Int? {
        for (index, line) in lines.enumerated() {
            if let header = Self.header(of: line), header == name { return index + 1 }
        }
        return nil
    }

    /// 1-based line where `key` is set inside table `table` (nil: top level), also as `[table.key]` or `key.sub =`.
    func locate(key: String, in table: String?) -> Int? {
        var current: String?
        for (index, line) in lines.enumerated() {
            if let header = Self.header(of: line) {
                if let table, header == "\(table).\(key)" { return index + 1 }
                current = header
                continue
            }
            guard current == table else { continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            for spelled in [key, "\"\(key)\"", "'\(key)'"] where trimmed.hasPrefix(spelled) {
                let rest = trimmed.dropFirst(spelled.count).trimmingCharacters(in: .whitespaces)
                if rest.hasPrefix("=") || rest.hasPrefix(".") { return index + 1 }
            }
        }
        return nil
    }

    private var lines: [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false) }

    /// `comfyui` for `[comfyui]`, `comfyui.env` for `[ comfyui . env ]`; nil when the line is not a table header.
    static func header(of line: Substring) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("["), !trimmed.hasPrefix("[["), let close = trimmed.firstIndex(of: "]") else { return nil }
        let inner = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
        return inner.split(separator: ".").map { part in
            part.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }.joined(separator: ".")
    }
}

/// One `key = value` of a profile, with typed readers that fail with the line, the key and the expected type.
private struct Field {
    let parser: ProfileParser
    let profile: String
    let key: String
    let value: any TOMLValueConvertible

    func fail(_ message: String) -> ProfileError {
        ProfileError(path: parser.path, line: parser.locate(key: key, in: profile), key: "\(profile).\(key)", message: message)
    }

    private func wrongType() -> ProfileError {
        let expected = LaunchProfile.keys.first { $0.key == key }?.expected ?? "another type"
        return fail("expected \(expected), got \(Self.describe(value.type)).")
    }

    static func describe(_ type: TOMLType) -> String {
        switch type {
        case .int: "an integer"
        case .double: "a floating-point number"
        case .array: "an array"
        case .table: "a table"
        case .string: "a string"
        case .bool: "a boolean"
        default: "a \(type.description)"
        }
    }

    func nonEmptyString() throws(ProfileError) -> String {
        guard let text = value.string else { throw wrongType() }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("is empty.") }
        return text
    }

    func nonEmptyStrings() throws(ProfileError) -> [String] {
        guard let array = value.array else { throw wrongType() }
        var out: [String] = []
        for element in array {
            guard let text = element.string else { throw fail("expected an array of strings, but an element is \(Self.describe(element.type)).") }
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("has an empty entry.") }
            out.append(text)
        }
        guard !out.isEmpty else { throw fail("is an empty array; leave the key out instead.") }
        return out
    }

    func positiveInt() throws(ProfileError) -> Int {
        guard let number = value.int else { throw wrongType() }
        guard number >= 1 else { throw fail("must be at least 1, not \(number).") }
        return number
    }

    func bool() throws(ProfileError) -> Bool {
        guard let flag = value.bool else { throw wrongType() }
        return flag
    }

    func number() throws(ProfileError) -> Double {
        if let number = value.double { return number }
        if let number = value.int { return Double(number) }
        throw wrongType()
    }

    func duration(positive: Bool) throws(ProfileError) -> Duration {
        let parsed: Duration?
        if let text = value.string {
            parsed = DurationText.parse(text)
            guard parsed != nil else { throw fail("'\(text)' is not a duration: write 90s, 10m, 2h or 1h30m.") }
        } else if let seconds = value.double ?? value.int.map(Double.init) {
            parsed = seconds.isFinite && seconds >= 0 ? .milliseconds(Int64((seconds * 1000).rounded())) : nil
        } else {
            throw wrongType()
        }
        guard let parsed, !positive || parsed > .zero else { throw fail("must be a positive duration.") }
        return parsed
    }

    func ports() throws(ProfileError) -> [PortSpec] {
        var seen = Set<Int>()
        var out: [PortSpec] = []
        for text in try nonEmptyStrings() {
            guard let port = PortSpec(text) else { throw fail("'\(text)' is not a port: write PORT, PORT/http or PORT/tcp (1-65535).") }
            guard seen.insert(port.port).inserted else { throw fail("lists port \(port.port) twice.") }
            out.append(port)
        }
        return out
    }

    func env() throws(ProfileError) -> [String: String] {
        guard let table = value.table else { throw wrongType() }
        var out: [String: String] = [:]
        for name in table.keys {
            guard let entry = table[name] else { continue }
            guard let text = entry.string else {
                throw ProfileError(
                    path: parser.path, line: parser.locate(key: name, in: "\(profile).env") ?? parser.locate(key: key, in: profile),
                    key: "\(profile).env.\(name)", message: "expected a string, got \(Self.describe(entry.type)).")
            }
            guard Self.isValidEnvName(name) else {
                throw ProfileError(
                    path: parser.path, line: parser.locate(key: name, in: "\(profile).env") ?? parser.locate(key: key, in: profile),
                    key: "\(profile).env.\(name)", message: "is not a valid variable name (letters, digits and _, not starting with a digit).")
            }
            out[name] = text
        }
        return out
    }

    static func isValidEnvName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && CharacterSet.letters.contains(first)) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
    }
}
