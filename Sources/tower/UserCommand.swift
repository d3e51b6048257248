import ArgumentParser
import Foundation
import TowerStore

/// `tower user …`: one user's stored state.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Show one user.",
                                                    subcommands: [UserShowCommand.self])
}

/// `tower user show --customer ID [--json]`: the stored vector, its model version and age, and the recent interactions.
struct UserShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a user's stored vector, model version, updated_at and recent interactions.",
        discussion: "Reads user_vectors and the recent-interaction window (interactions) that towerd maintains. A customer "
            + "without a vector gets popularity-ordered recommendations until their first event is applied.")

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Customer id.")
    var customer: Int64

    @Option(name: .long, help: "How many recent interactions to list.")
    var limit = UserVectorRepository.historyLimit

    @Flag(name: .long, help: "Print JSON (the full vector included) instead of text.")
    var json = false

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must not be negative") }
    }

    func run() async throws {
        try await runReportingErrors {
            let repository = UserVectorRepository(try global.connect())
            let vector = try repository.vector(of: customer)
            let interactions = try repository.interactions(of: customer, limit: limit)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .custom { date, e in
                    var c = e.singleValueContainer()
                    try c.encode(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date))
                }
                let output = UserShowOutput(customerID: customer, vector: vector.map(UserShowOutput.Vector.init),
                                            recentInteractions: interactions.map(UserShowOutput.Interaction.init))
                print(String(decoding: try encoder.encode(output), as: UTF8.self))
            } else {
                printText(vector, interactions)
            }
        }
    }

    private func printText(_ vector: StoredUserVector?, _ interactions: [StoredInteraction]) {
        print("customer \(customer)")
        if let vector {
            let norm = vector.embedding.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let head = vector.embedding.prefix(6).map { String(format: "%.4f", $0) }.joined(separator: ", ")
            print("  vector: \(vector.embedding.count) dimensions, norm \(String(format: "%.4f", norm)), [\(head), …]")
            print("  model version: \(vector.modelVersion)")
            print("  updated at: \(vector.updatedAt.formatted(.iso8601)) (\(Self.age(vector.updatedAt)) ago)")
        } else {
            print("  no stored vector: recommendations fall back to popularity until an event is applied")
        }
        print("  recent interactions (\(interactions.count)):")
        for i in interactions {
            print("    \(i.occurredAt.formatted(.iso8601))  \(i.eventName.padding(toLength: 22, withPad: " ", startingAt: 0))  product \(i.productID)\(i.productName.map { "  \($0)" } ?? "")")
        }
    }

    private static func age(_ date: Date) -> String {
        let s = max(0, Date().timeIntervalSince(date))
        return s < 120 ? "\(Int(s)) s" : s < 7200 ? "\(Int(s / 60)) min" : s < 172_800 ? "\(Int(s / 3600)) h" : "\(Int(s / 86_400)) d"
    }
}

/// The JSON shape of `tower user show --json`.
private struct UserShowOutput: Encodable {
    struct Vector: Encodable {
        var modelVersion: String
        var updatedAt: Date
        var embedding: [Float]
        init(_ v: StoredUserVector) { (modelVersion, updatedAt, embedding) = (v.modelVersion, v.updatedAt, v.embedding) }
        enum CodingKeys: String, CodingKey { case modelVersion = "model_version", updatedAt = "updated_at", embedding }
    }

    struct Interaction: Encodable {
        var eventID: Int64
        var productID: Int64
        var productName: String?
        var eventName: String
        var occurredAt: Date
        init(_ i: StoredInteraction) {
            (eventID, productID, productName, eventName, occurredAt) = (i.eventID, i.productID, i.productName, i.eventName, i.occurredAt)
        }
        enum CodingKeys: String, CodingKey {
            case eventID = "event_id", productID = "product_id", productName = "product_name", eventName = "event_name", occurredAt = "occurred_at"
        }
    }

    var customerID: Int64
    var vector: Vector?
    var recentInteractions: [Interaction]

    enum CodingKeys: String, CodingKey { case customerID = "customer_id", vector, recentInteractions = "recent_interactions" }

    /// `vector` is written as null when absent (not omitted), so scripts can test for it.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(customerID, forKey: .customerID)
        try c.encode(vector, forKey: .vector)
        try c.encode(recentInteractions, forKey: .recentInteractions)
    }
}
