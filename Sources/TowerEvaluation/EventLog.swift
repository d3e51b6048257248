/// One event of the append-only log.
public struct LoggedEvent: Sendable, Equatable {
    public var customerID: Int64
    public var productID: Int64
    public var eventName: String
    /// `occurred_at` in microseconds since the Unix epoch.
    public var time: Int64

    public init(customerID: Int64, productID: Int64, eventName: String, time: Int64) {
        self.customerID = customerID
        self.productID = productID
        self.eventName = eventName
        self.time = time
    }
}

/// What the re-ranker's affinity features read of a product.
public struct ProductAttributes: Sendable, Equatable {
    public var categories: [String]
    public var priceTier: String?
    /// `created_at` in Unix seconds (0 when unknown): ties of the served popularity fall to the newer product.
    public var createdAt: Double

    public init(categories: [String] = [], priceTier: String? = nil, createdAt: Double = 0) {
        self.categories = categories
        self.priceTier = priceTier
        self.createdAt = createdAt
    }
}

/// The products the models can rank: ascending ids, their base (text) vectors, and whether each is active.
public struct CatalogVectors: Sendable {
    public let dimension: Int
    public let productIDs: [Int64]
    /// `productIDs.count × dimension`, each row L2-normalised.
    public let vectors: [Float]
    public let active: [Bool]
    /// Per row (empty attributes when not given).
    public let attributes: [ProductAttributes]
    private let indexOf: [Int64: Int32]

    /// Products may come in any order; they are sorted by id (the tie-break order of every ranking).
    public init(dimension: Int, products: [(id: Int64, vector: [Float], active: Bool)], attributes: [Int64: ProductAttributes] = [:]) {
        let sorted = products.sorted { $0.id < $1.id }
        self.dimension = dimension
        productIDs = sorted.map(\.id)
        precondition(Set(productIDs).count == productIDs.count, "product ids must be unique")
        var vectors = [Float]()
        vectors.reserveCapacity(sorted.count * dimension)
        for p in sorted {
            precondition(p.vector.count == dimension, "product \(p.id) has a \(p.vector.count)-value vector, expected \(dimension)")
            var sq: Float = 0
            for v in p.vector { sq += v * v }
            let inv: Float = sq > 0 ? 1 / sq.squareRoot() : 0
            vectors += p.vector.map { $0 * inv }
        }
        self.vectors = vectors
        active = sorted.map(\.active)
        self.attributes = sorted.map { attributes[$0.id] ?? ProductAttributes() }
        indexOf = Dictionary(uniqueKeysWithValues: productIDs.enumerated().map { ($1, Int32($0)) })
    }

    public var count: Int { productIDs.count }

    /// The row of a product id.
    public func index(of productID: Int64) -> Int32? { indexOf[productID] }

    /// One product's base vector.
    public func vector(_ index: Int) -> ArraySlice<Float> { vectors[index * dimension ..< (index + 1) * dimension] }
}

/// The event log in memory, columnar, in log order (`occurred_at`, then `event_id`), grouped by customer,
/// with every event's history under the Tower protocol (see `history(of:)`).
public struct EventLog: Sendable {
    /// Event names in type-index order: the configured ones first, then any others as they appear.
    public let eventNames: [String]
    public let customers: [Int64]
    /// Catalog row of each event's product.
    public let products: [Int32]
    /// Index into `eventNames`.
    public let types: [Int32]
    public let times: [Int64]
    /// Events grouped by customer (each group in log order): `userEvents[userOffsets[u] ..< userOffsets[u + 1]]`.
    public let userEvents: [Int32]
    public let userOffsets: [Int]
    /// Position of each event inside `userEvents`.
    public let slot: [Int32]
    /// Per event: the first `userEvents` slot of its history; the history is `historyStart[e] ..< historyEnd[e]`.
    public let historyStart: [Int32]
    /// Per event: the end of its history (the first event of its customer with the same timestamp).
    public let historyEnd: [Int32]
    /// Events left out because their product is not in the catalog.
    public let droppedEvents: Int
    public let windowMicroseconds: Int64
    public let maxHistory: Int

    /// Builds the log from events already in log order. Events whose product is not in `catalog` are dropped.
    ///
    /// History of an event at time t (the protocol, shared by training and evaluation and equal to what the
    /// daemon reads): the customer's events strictly before t (events sharing the timestamp are never history
    /// for each other) and at or after t − window, the `maxHistory` most recent of them, where among equal
    /// timestamps the one later in the log is the more recent.
    public init(events: [LoggedEvent], catalog: CatalogVectors, eventNames configured: [String],
                windowSeconds: Double, maxHistory: Int = 20) {
        var names = configured
        var typeOf = Dictionary(uniqueKeysWithValues: configured.enumerated().map { ($1, Int32($0)) })
        var customers: [Int64] = [], products: [Int32] = [], types: [Int32] = [], times: [Int64] = []
        customers.reserveCapacity(events.count)
        products.reserveCapacity(events.count)
        types.reserveCapacity(events.count)
        times.reserveCapacity(events.count)
        var dropped = 0
        var previous = Int64.min
        for e in events {
            precondition(e.time >= previous, "events must come in log order (occurred_at, then event_id)")
            previous = e.time
            guard let p = catalog.index(of: e.productID) else { dropped += 1; continue }
            let t: Int32
            if let known = typeOf[e.eventName] { t = known } else {
                t = Int32(names.count)
                typeOf[e.eventName] = t
                names.append(e.eventName)
            }
            customers.append(e.customerID)
            products.append(p)
            types.append(t)
            times.append(e.time)
        }
        eventNames = names
        self.customers = customers
        self.products = products
        self.types = types
        self.times = times
        droppedEvents = dropped
        windowMicroseconds = Int64((windowSeconds * 1_000_000).rounded())
        self.maxHistory = maxHistory

        // Group by customer, keeping log order inside each group.
        let order = customers.indices.sorted { customers[$0] != customers[$1] ? customers[$0] < customers[$1] : $0 < $1 }
        userEvents = order.map(Int32.init)
        var offsets = [0]
        for i in 1..<max(order.count, 1) where customers[order[i]] != customers[order[i - 1]] { offsets.append(i) }
        if !order.isEmpty { offsets.append(order.count) }
        userOffsets = offsets
        var slot = [Int32](repeating: 0, count: customers.count)
        for (i, e) in order.enumerated() { slot[e] = Int32(i) }
        self.slot = slot

        // Histories: two pointers per customer (window start and same-timestamp group start only move forward).
        var starts = [Int32](repeating: 0, count: customers.count), ends = starts
        let window = windowMicroseconds
        for u in 0..<max(offsets.count - 1, 0) {
            var windowStart = offsets[u], groupStart = offsets[u]
            for i in offsets[u] ..< offsets[u + 1] {
                let t = times[order[i]]
                if t != times[order[groupStart]] { groupStart = i }
                while times[order[windowStart]] < t - window { windowStart += 1 }
                let lo = max(windowStart, groupStart - maxHistory)
                starts[order[i]] = Int32(min(lo, groupStart))
                ends[order[i]] = Int32(groupStart)
            }
        }
        historyStart = starts
        historyEnd = ends
    }

    public var count: Int { customers.count }

    /// The `userEvents` slots of an event's history, oldest first (the most recent is the last).
    public func history(of event: Int) -> Range<Int> { Int(historyStart[event]) ..< Int(historyEnd[event]) }

    /// The event at a `userEvents` slot.
    @inline(__always) public func event(atSlot s: Int) -> Int { Int(userEvents[s]) }
}
