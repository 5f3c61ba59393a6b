import ArgumentParser
import Foundation

/// `doctor`: Check your key, the API, the default network volume and GPU availability, and say how to fix what fails.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "doctor", abstract: "Check your key, the API, the default network volume and GPU availability, and say how to fix what fails.")

    @OptionGroup var global: Flags.Global

    func run() async throws {
        throw CLIError.usage("`doctor` is not implemented yet.")
    }
}
