import ArgumentParser

/// Placeholder until its issue lands.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Show one user.")
}
