import ArgumentParser
import Foundation
import TowerStore
import TowerTextEncoder

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
            let repository = EmbeddingRepository(try global.connect())
            let products = try repository.allActiveProducts()
            let versions = Dictionary(uniqueKeysWithValues: products.map { ($0.productID, $0.version) })
            let pending = ProductTextPlanner.pending(products.map(Self.plannerProduct), all: all)
            print("\(products.count) active products, \(pending.count) to embed")
            guard !pending.isEmpty else { return }
            let progress = Progress("embedding", total: pending.count, unit: "products")
            var written = 0, start = 0
            let batches = stride(from: 0, to: pending.count, by: batchSize).lazy.map {
                pending[$0..<min($0 + batchSize, pending.count)].map(\.text)
            }
            // Batches arrive in order; each is written while the next ones are being encoded.
            try EncoderParallelism.embed(encoder, batches: batches) { texts, vectors in
                let batch = pending[start..<(start + texts.count)]
                start += texts.count
                written += try repository.write(zip(batch, vectors).map { item, vector in
                    EmbeddingRepository.Update(productID: item.id, vector: vector, textHash: item.hash,
                                               priceTier: item.tier?.rawValue, version: versions[item.id]!)
                })
                progress.advance(by: batch.count)
            }
            progress.finish()
            let skipped = pending.count - written
            print("embedded \(written) products" + (skipped > 0 ? "; \(skipped) changed or went inactive meanwhile (run again)" : ""))
        }
    }

    private static func plannerProduct(_ p: EmbeddingRepository.Product) -> ProductTextPlanner.Product {
        ProductTextPlanner.Product(id: p.productID, name: p.name, merchant: p.merchant, categoryPath: p.categoryPath,
                                   color: p.color, price: p.price,
                                   fixedTier: p.priceTierFixed ? p.priceTier.flatMap(PriceTier.init(rawValue:)) : nil,
                                   storedHash: p.textHash)
    }
}
