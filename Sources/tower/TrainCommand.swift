import ArgumentParser

/// Placeholder until its issue lands.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train the user tower.")
}
