/// How a feed page was ordered.
public enum FeedMode: String, Sendable, Codable {
    /// By cosine similarity to the customer's vector.
    case personalized
    /// The customer has no vector: by popularity, then recency.
    case fallback
    /// An explicit sort (price, newest, popular): no personalisation.
    case sorted
}

/// Why a product is in a result.
public enum RankingReason: String, Sendable, Codable {
    /// Close to the customer's vector.
    case personalized
    /// Popular (the fallback for customers without a vector, or the `popular` sort).
    case popular
    /// Placed by an explicit price or recency sort.
    case sorted
    /// Close to another product's vector (`similar(to:)`).
    case similar
}

/// One ranked product.
public struct RankedItem: Sendable, Equatable {
    public let productID: Int64
    /// Personalized and similar: cosine similarity + 1 (0…2, higher is closer). Popular: the popularity.
    /// Price sorts: the price. Newest: the creation time in Unix seconds.
    public let score: Double
    public let reason: RankingReason

    public init(productID: Int64, score: Double, reason: RankingReason) {
        self.productID = productID
        self.score = score
        self.reason = reason
    }
}

/// One page of a customer's feed.
public struct FeedPage: Sendable, Equatable {
    public let customerID: Int64
    /// 1-based page number.
    public let page: Int
    public let perPage: Int
    /// Number of products matching the filters in this mode (only when asked for).
    public let total: Int?
    public let mode: FeedMode
    public let items: [RankedItem]
}

/// A stored product as the ranking reads it (`Ranker.product(_:)`).
public struct CatalogProduct: Sendable, Equatable {
    public let productID: Int64
    public let name: String
    public let merchant: String?
    public let categoryPath: [String]
    public let color: String?
    public let price: Double?
    public let priceTier: String?
    public let popularity: Double
    /// Unix seconds.
    public let createdAt: Double
    public let active: Bool
    /// The served product vector (nil before `tower catalog embed`).
    public let vector: [Float]?
}
