import ArgumentParser

/// Placeholder until its issue lands.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send", abstract: "Send a test event to the queue.")
}
