import ArgumentParser

/// Placeholder until its issue lands.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "users", abstract: "Bulk user operations (refresh).")
}
