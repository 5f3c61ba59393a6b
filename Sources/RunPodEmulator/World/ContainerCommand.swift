import Foundation

/// A pod's start command in RunPod's three spellings, kept consistent with each other: `args` as stored (a shell
/// string, or the JSON text of `{"entrypoint": […], "cmd": […]}`) and the exec-form `entrypoint` and `cmd` it
/// stands for. An empty `entrypoint` keeps the image's ENTRYPOINT; an empty `cmd` keeps its CMD.
public struct ContainerCommand: Sendable, Hashable {
    /// The stored form (REST `args`, GraphQL `dockerArgs`).
    public var args: String
    /// Exec-form ENTRYPOINT override; empty keeps the image's.
    public var entrypoint: [String]
    /// Exec-form CMD; empty keeps the image's.
    public var cmd: [String]

    /// No override: the image's own ENTRYPOINT and CMD.
    public static let imageDefault = ContainerCommand(args: "", entrypoint: [], cmd: [])

    /// The command for exec-form arrays; `args` becomes their JSON object text (or `""` when both are empty).
    public init(entrypoint: [String], cmd: [String]) {
        self.entrypoint = entrypoint
        self.cmd = cmd
        args = entrypoint.isEmpty && cmd.isEmpty ? "" : Self.objectText(entrypoint: entrypoint, cmd: cmd)
    }

    init(args: String, entrypoint: [String], cmd: [String]) {
        self.args = args
        self.entrypoint = entrypoint
        self.cmd = cmd
    }

    /// What a stored `args` stands for: JSON object text gives `entrypoint` and `cmd`; anything else is a shell
    /// string whose words are the CMD. Nil when a shell string has an unterminated quote or a trailing backslash.
    public static func parse(args: String) -> ContainerCommand? {
        if let object = commandObject(args) {
            return ContainerCommand(entrypoint: object.entrypoint, cmd: object.cmd)
        }
        guard let words = shellWords(args) else { return nil }
        return ContainerCommand(args: args, entrypoint: [], cmd: words)
    }

    /// `{"entrypoint": […], "cmd": […]}` as a value (REST `args` sent as a JSON object, or as its text); nil otherwise.
    static func commandObject(_ value: JSONValue) -> (entrypoint: [String], cmd: [String])? {
        guard let object = value.objectValue, !object.isEmpty, object.keys.allSatisfy({ $0 == "entrypoint" || $0 == "cmd" }) else { return nil }
        func strings(_ key: String) -> [String]? {
            guard let item = object[key] else { return [] }
            guard let array = item.arrayValue else { return nil }
            let texts = array.compactMap(\.stringValue)
            return texts.count == array.count ? texts : nil
        }
        guard let entrypoint = strings("entrypoint"), let cmd = strings("cmd") else { return nil }
        return (entrypoint, cmd)
    }

    private static func commandObject(_ text: String) -> (entrypoint: [String], cmd: [String])? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("{"), let value = JSONValue.parse(Data(trimmed.utf8)) else { return nil }
        return commandObject(value)
    }

    /// The canonical JSON object text, `entrypoint` first as RunPod's documentation writes it.
    static func objectText(entrypoint: [String], cmd: [String]) -> String {
        func array(_ items: [String]) -> String {
            let data = (try? JSONCoding.encoder.encode(items)) ?? Data("[]".utf8)
            return String(decoding: data, as: UTF8.self)
        }
        return "{\"entrypoint\":\(array(entrypoint)),\"cmd\":\(array(cmd))}"
    }

    /// Splits a shell string into words as `sh` would, without expansions: whitespace separates, single quotes keep
    /// everything, double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes escapes
    /// the next character. Nil for an unterminated quote or a trailing backslash.
    static func shellWords(_ text: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var characters = text.makeIterator()
        while let character = characters.next() {
            switch character {
            case " ", "\t", "\n", "\r":
                if inWord { words.append(word) }
                word = ""
                inWord = false
            case "'":
                inWord = true
                var closed = false
                while let next = characters.next() {
                    if next == "'" {
                        closed = true
                        break
                    }
                    word.append(next)
                }
                if !closed { return nil }
            case "\"":
                inWord = true
                var closed = false
                while let next = characters.next() {
                    if next == "\"" {
                        closed = true
                        break
                    }
                    if next == "\\" {
                        guard let escaped = characters.next() else { return nil }
                        if !"\"\\$`".contains(escaped) { word.append("\\") }
                        word.append(escaped)
                    } else {
                        word.append(next)
                    }
                }
                if !closed { return nil }
            case "\\":
                guard let escaped = characters.next() else { return nil }
                inWord = true
                word.append(escaped)
            default:
                inWord = true
                word.append(character)
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
