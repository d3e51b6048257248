import LibPQ
import TowerModel
import TowerTextEncoder
import TowerStore

/// Embedding the catalogue (`tower catalog embed`): MiniLM text vectors for every active product whose text changed.
///
/// Each product's text is built by `ProductTextPlanner` (price tiers from quartiles of the active catalog's prices
/// unless the import fixed them); a product is pending when that text's hash differs from the one stored with its
/// vector. Each batch writes text_embedding, embedding, text_hash and price_tier in one transaction, so an
/// interrupted run continues where it stopped.
public struct CatalogEmbedding {
    /// Active products read.
    public let activeProducts: Int
    /// The products to embed, with their texts.
    public let pending: [ProductTextPlanner.Pending]
    private let versions: [Int64: Int64]
    private let repository: EmbeddingRepository

    /// Reads the active products and plans the pending ones (`all`: every active product, changed or not).
    public init(_ connection: PQConnection, all: Bool) throws {
        repository = EmbeddingRepository(connection)
        let products = try repository.allActiveProducts()
        activeProducts = products.count
        versions = Dictionary(uniqueKeysWithValues: products.map { ($0.productID, $0.version) })
        pending = ProductTextPlanner.pending(products.map(Self.plannerProduct), all: all)
    }

    /// Encodes the pending products in batches of `batchSize` on every core (`EncoderParallelism`) and writes each
    /// batch while the next ones are encoded; `progress` hears of each batch's products. Returns the products
    /// written: fewer than pending when some changed or went inactive meanwhile (a product is written only while
    /// unchanged since it was read).
    public func run(_ encoder: MiniLMEncoder, batchSize: Int, progress: (Int) -> Void = { _ in }) throws -> Int {
        precondition(batchSize > 0, "batch size must be positive")
        var written = 0, start = 0
        let batches = stride(from: 0, to: pending.count, by: batchSize).lazy.map {
            pending[$0..<min($0 + batchSize, pending.count)].map(\.text)
        }
        // Batches arrive in order.
        try EncoderParallelism.embed(encoder, batches: batches) { texts, vectors in
            let batch = pending[start..<(start + texts.count)]
            start += texts.count
            written += try repository.write(zip(batch, vectors).map { item, vector in
                EmbeddingRepository.Update(productID: item.id, vector: vector, textHash: item.hash,
                                           priceTier: item.tier?.rawValue, version: versions[item.id]!)
            })
            progress(batch.count)
        }
        return written
    }

    private static func plannerProduct(_ p: EmbeddingRepository.Product) -> ProductTextPlanner.Product {
        ProductTextPlanner.Product(id: p.productID, name: p.name, merchant: p.merchant, categoryPath: p.categoryPath,
                                   color: p.color, price: p.price,
                                   fixedTier: p.priceTierFixed ? p.priceTier.flatMap(PriceTier.init(rawValue:)) : nil,
                                   storedHash: p.textHash)
    }
}
