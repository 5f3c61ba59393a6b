import ArgumentParser
import Foundation

/// `profiles`: List the named launch profiles (image, GPUs, volumes, ports, env) in your profiles file.
struct ProfilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "profiles", abstract: "List the named launch profiles (image, GPUs, volumes, ports, env) in your profiles file.")

    @OptionGroup var global: Flags.Global

    func run() async throws {
        throw CLIError.usage("`profiles` is not implemented yet.")
    }
}
