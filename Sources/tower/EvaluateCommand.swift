import ArgumentParser

/// Placeholder until its issue lands.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "Evaluate models offline.")
}
