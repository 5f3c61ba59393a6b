import ArgumentParser
import Foundation

/// `logs`: Stream a pod's logs (container or system), following and resuming after a dropped connection.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Stream a pod's logs (container or system), following and resuming after a dropped connection.")

    @OptionGroup var global: Flags.Global

    func run() async throws {
        throw CLIError.usage("`logs` is not implemented yet.")
    }
}
