import ArgumentParser
import Foundation

/// `tower text …`: the text encoder, for operators and for checking it against references.
struct TextCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text", abstract: "Embed texts with MiniLM.", subcommands: [TextEmbedCommand.self])
}

/// `tower text embed [TEXT ...]`: one JSON array of 384 numbers per input text.
struct TextEmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Print the MiniLM embedding of each text as a JSON array.",
        discussion: """
        Texts come from the arguments, or, with none, one per line of standard input (an empty line is the \
        empty text). Prints one line per text, in order: a JSON array of 384 numbers, the L2-normalised \
        mean-pooled all-MiniLM-L6-v2 embedding. Weights come from TOWER_ENCODER_DIR.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Texts encoded together.") var batchSize = 32
    @Argument(help: "Texts to embed (default: one per line of standard input).") var texts: [String] = []

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() async throws {
        try await runReportingErrors {
            let encoder = try global.loadEncoder()
            let lines = texts.isEmpty ? AnyIterator { readLine(strippingNewline: true) } : AnyIterator(texts.makeIterator())
            let batches = AnyIterator { [batchSize] () -> [String]? in
                var batch: [String] = []
                while batch.count < batchSize, let text = lines.next() { batch.append(text) }
                return batch.isEmpty ? nil : batch
            }
            try EncoderParallelism.embed(encoder, batches: batches) { _, vectors in
                for vector in vectors { print(jsonArray(vector)) }
            }
        }
    }
}

/// A vector as a JSON array, each number in its shortest round-trip form.
func jsonArray(_ vector: [Float]) -> String {
    "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
}
