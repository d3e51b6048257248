import ArgumentParser
import Foundation
import TowerCLI
import TowerStore
import TowerTextEncoder
import TowerOfflineUseCases

/// `tower catalog embed`: MiniLM text vectors for every product whose text changed.
struct CatalogEmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Embed product texts with MiniLM.",
        discussion: """
        Builds each active product's text (`Name | by Merchant | Parent | Category | Subcategory | Color color | \
        tier`, see docs/product-text.md), with price tiers from quartiles of the active catalog's prices \
        unless the import fixed them, and embeds the products whose text hash differs from the hash stored \
        with their vector (new products included). Each batch writes text_embedding, embedding (the same \
        vector while the item side is untrained), text_hash and the computed price_tier in one transaction, \
        so an interrupted run continues where it stopped. --all re-embeds every active product.
        """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Re-embed every active product, changed or not.") var all = false
    @Option(help: "Products encoded and written together.") var batchSize = 32

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() async throws {
        try await runReportingErrors {
            let encoder = try global.loadEncoder()
            let embedding = try CatalogEmbedding(try global.connect(), all: all)
            print("\(embedding.activeProducts) active products, \(embedding.pending.count) to embed")
            guard !embedding.pending.isEmpty else { return }
            let progress = ProgressBar("embedding", total: embedding.pending.count, unit: "products")
            let written = try embedding.run(encoder, batchSize: batchSize) { progress.advance(by: $0) }
            progress.finish()
            let skipped = embedding.pending.count - written
            print("embedded \(written) products" + (skipped > 0 ? "; \(skipped) changed or went inactive meanwhile (run again)" : ""))
        }
    }
}
