import ArgumentParser

/// Placeholder until its issue lands.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Import events.")
}
