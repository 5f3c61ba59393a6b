import ArgumentParser
import Foundation

/// `ssh`: Open an SSH session to a pod (or run a command there) with the ssh command RunPod publishes.
struct SSHCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ssh", abstract: "Open an SSH session to a pod (or run a command there) with the ssh command RunPod publishes.")

    @OptionGroup var global: Flags.Global

    func run() async throws {
        throw CLIError.usage("`ssh` is not implemented yet.")
    }
}
