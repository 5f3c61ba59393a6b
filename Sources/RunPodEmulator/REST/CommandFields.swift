/// Reads a body's `args`, `entrypoint` and `cmd` into one consistent command (RunPod's create-a-pod page, after
/// 2026-08-18): `args` is a shell string (its words are the CMD) or `{"entrypoint": […], "cmd": […]}`; the arrays may
/// be sent directly; sent together they must describe the same command. `""` and `[]` clear; omitted leaves the
/// current command (PATCH) or the image's (create).
enum CommandFields {
    /// The command the body describes; nil when it names none of the three (unchanged). A 400 detail on failure.
    static func resolve(_ object: [String: JSONValue], current: ContainerCommand) -> Result<ContainerCommand?, CommandError> {
        let entrypoint = object["entrypoint"].map(strings)
        let cmd = object["cmd"].map(strings)
        guard let args = object["args"] else {
            if entrypoint == nil && cmd == nil { return .success(nil) }
            return .success(ContainerCommand(entrypoint: entrypoint ?? current.entrypoint, cmd: cmd ?? current.cmd))
        }
        let described: ContainerCommand
        if let pair = ContainerCommand.commandObject(args) {
            described = ContainerCommand(entrypoint: pair.entrypoint, cmd: pair.cmd)
        } else if let text = args.stringValue {
            guard let parsed = text.isEmpty ? .imageDefault : ContainerCommand.parse(args: text) else {
                return .failure(CommandError(detail: "args: unterminated quote or trailing backslash in '\(text)'"))
            }
            described = parsed
        } else {
            return .failure(CommandError(detail: "args must be a string or an object with entrypoint and cmd"))
        }
        if let entrypoint, entrypoint != described.entrypoint {
            return .failure(CommandError(detail: "args and entrypoint describe different commands; send them together only when they agree"))
        }
        if let cmd, cmd != described.cmd {
            return .failure(CommandError(detail: "args and cmd describe different commands; send them together only when they agree"))
        }
        return .success(described)
    }

    private static func strings(_ value: JSONValue) -> [String] { value.arrayValue?.compactMap(\.stringValue) ?? [] }
}

/// Why a command cannot be read (a 400).
struct CommandError: Error {
    let detail: String
}
