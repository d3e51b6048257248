import ArgumentParser

/// Placeholder until its issue lands.
struct TextCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "text", abstract: "Embed texts with MiniLM.")
}
