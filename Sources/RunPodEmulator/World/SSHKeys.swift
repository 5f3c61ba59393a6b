/// The SSH key the demo account has registered, so `startSsh` works out of the box (as it does for a RunPod account
/// that added a key in the console).
public enum DemoSSHKey {
    /// An ed25519 public key line.
    public static let publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEmulatorEmulatorEmulatorEmulatorEmulator emulator@runpod"

    /// Whether a line is an OpenSSH public key as RunPod's `UpdateSshKeysRequest` pattern accepts it:
    /// `(ssh|ecdsa|sk)-<type> <base64>[ comment]`.
    static func isValid(_ line: String) -> Bool {
        guard let dash = line.firstIndex(of: "-") else { return false }
        guard ["ssh", "ecdsa", "sk"].contains(String(line[..<dash])) else { return false }
        guard !line.contains("\n"), !line.contains("\r") else { return false }
        let rest = line[line.index(after: dash)...]
        guard let space = rest.firstIndex(where: { $0 == " " }) else { return false }
        let type = rest[..<space]
        guard !type.isEmpty, !type.contains(where: \.isWhitespace) else { return false }
        let afterType = rest[rest.index(after: space)...]
        let body = afterType.prefix { $0 != " " && $0 != "\t" }
        return !body.isEmpty && !body.contains(where: \.isWhitespace)
    }
}
