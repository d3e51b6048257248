/// One of the customer's interactions inside the window, as seen at request time.
public struct HistoryItem: Sendable, Equatable {
    public var productID: Int64
    /// The event type's configured weight.
    public var weight: Float
    /// Seconds between the interaction and the request (≥ 0).
    public var ageSeconds: Float

    public init(productID: Int64, weight: Float, ageSeconds: Float) {
        self.productID = productID
        self.weight = weight
        self.ageSeconds = ageSeconds
    }
}

/// Where a candidate came from (a candidate may come from several sources).
public struct CandidateSources: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Among the top N by cosine to the user vector.
    public static let similar = CandidateSources(rawValue: 1)
    /// The customer interacted with it inside the window.
    public static let `repeat` = CandidateSources(rawValue: 2)
    /// A co-visitation neighbour of the customer's recent interactions.
    public static let covisit = CandidateSources(rawValue: 4)
    /// Among the trending or most popular products.
    public static let popular = CandidateSources(rawValue: 8)
    /// Among the best neighbours of one of the most recent interactions (`CandidateSettings.interests`).
    public static let interest = CandidateSources(rawValue: 16)
    /// Among the best EASE neighbours of the whole history (`CandidateSettings.ease`).
    public static let ease = CandidateSources(rawValue: 32)

    /// Each source with its name (the evaluation's per-source candidate recall).
    public static let named: [(name: String, source: CandidateSources)] = [
        ("similar", .similar), ("repeat", .repeat), ("covisit", .covisit), ("interest", .interest), ("popular", .popular),
        ("ease", .ease),
    ]
}

/// What the store knows about one candidate product at request time (no customer history needed).
public struct ProductSignals: Sendable, Equatable {
    public var productID: Int64
    /// Cosine of the served product vector to the user vector.
    public var cosine: Float
    /// Weighted events of the last 1 / 7 / 30 days (`product_trending`), and its `trend_score`.
    public var weight1d: Float
    public var weight7d: Float
    public var weight30d: Float
    public var trendScore: Float
    /// Days since `created_at`; nil when unknown.
    public var ageDays: Float?
    /// `category_path` elements and `price_tier`, for the affinity features (empty / nil when unknown).
    public var categories: [String]
    public var priceTier: String?
    public var sources: CandidateSources

    public init(productID: Int64, cosine: Float, weight1d: Float = 0, weight7d: Float = 0, weight30d: Float = 0,
                trendScore: Float = 0, ageDays: Float? = nil, categories: [String] = [], priceTier: String? = nil,
                sources: CandidateSources) {
        self.productID = productID
        self.cosine = cosine
        self.weight1d = weight1d
        self.weight7d = weight7d
        self.weight30d = weight30d
        self.trendScore = trendScore
        self.ageDays = ageDays
        self.categories = categories
        self.priceTier = priceTier
        self.sources = sources
    }
}

/// Recent weighted events of one product: the row of `product_trending`.
public struct TrendingRow: Sendable, Equatable {
    public var weight1d: Float
    public var weight7d: Float
    public var weight30d: Float
    public var trendScore: Float { Trending.score(weight1d: weight1d, weight30d: weight30d) }

    public init(weight1d: Float = 0, weight7d: Float = 0, weight30d: Float = 0) {
        self.weight1d = weight1d
        self.weight7d = weight7d
        self.weight30d = weight30d
    }
}

/// The one definition of `product_trending`.
public enum Trending {
    /// Velocity: the last day's weight above the mean daily weight of the last 30 days.
    public static func score(weight1d: Float, weight30d: Float) -> Float { weight1d - weight30d / 30 }

    /// Sums of event weights per product over (anchor − 1 / 7 / 30 days, anchor]; times in seconds.
    /// The anchor is the newest event's time (as for `products.popularity`), so an imported log works too.
    public static func rows(of events: [(productID: Int64, weight: Float, time: Double)], anchor: Double) -> [Int64: TrendingRow] {
        var rows: [Int64: TrendingRow] = [:]
        for e in events where e.time <= anchor {
            let age = anchor - e.time
            guard age < 30 * 86_400 else { continue }
            var row = rows[e.productID, default: TrendingRow()]
            row.weight30d += e.weight
            if age < 7 * 86_400 { row.weight7d += e.weight }
            if age < 86_400 { row.weight1d += e.weight }
            rows[e.productID] = row
        }
        return rows
    }
}
