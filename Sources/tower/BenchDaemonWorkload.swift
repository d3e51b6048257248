import Foundation
import LibPQ
import TowerMath
import TowerStore

/// The daemon benchmark's workload, shaped like the Python peer's (`peer_setup.py`): products with random
/// unit vectors and a Zipf popularity over a random permutation of ids, each customer with some history
/// spread over the last 96 hours (about half outside the 2-day window, so pruning has work), and events with
/// a uniform customer, a Zipf product and 70% views / 25% clicks / 5% add-to-carts.
struct BenchWorkload {
    var products: Int
    var customers: Int
    var historyPerCustomer: Int
    var zipfExponent: Double
    var seed: UInt64

    static let dimension = 384
    static let eventNames = ["product_viewed", "product_clicked", "product_added_to_cart"]
    static let eventShares = [0.70, 0.25, 0.05]

    /// Cumulative Zipf probabilities in product-id order (rank r has weight 1/r^s; ranks are a seeded permutation).
    func popularityCDF() -> [Double] {
        var rng = SplitMix64(seed: seed)
        var ranks = Array(1...products)
        ranks.shuffle(using: &rng)
        let weights = ranks.map { 1 / pow(Double($0), zipfExponent) }
        let total = weights.reduce(0, +)
        var running = 0.0
        return weights.map { running += $0 / total; return running }
    }

    /// The deterministic event stream (message bodies without `occurred_at`: the daemon uses SentTimestamp).
    func events(seed streamSeed: UInt64) -> EventStream { EventStream(cdf: popularityCDF(), customers: customers, seed: streamSeed) }

    struct EventStream {
        let cdf: [Double]
        let customers: Int
        var rng: SplitMix64

        init(cdf: [Double], customers: Int, seed: UInt64) {
            self.cdf = cdf
            self.customers = customers
            rng = SplitMix64(seed: seed)
        }

        mutating func product() -> Int {
            let u = Double(rng.next() >> 11) * 0x1p-53
            var lo = 0, hi = cdf.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cdf[mid] < u { lo = mid + 1 } else { hi = mid }
            }
            return lo + 1
        }

        mutating func eventName() -> String {
            let u = Double(rng.next() >> 11) * 0x1p-53
            return u < BenchWorkload.eventShares[0] ? BenchWorkload.eventNames[0]
                : u < BenchWorkload.eventShares[0] + BenchWorkload.eventShares[1] ? BenchWorkload.eventNames[1] : BenchWorkload.eventNames[2]
        }

        /// The next event's customer, product and event name.
        mutating func nextEvent() -> (customer: Int, product: Int, eventName: String) {
            let customer = 1 + rng.nextIndex(customers)
            let product = product()
            return (customer, product, eventName())
        }

        mutating func next() -> String {
            let e = nextEvent()
            return #"{"customer_id":\#(e.customer),"product_id":\#(e.product),"event_name":"\#(e.eventName)"}"#
        }
    }

    /// Creates the schema and loads the products (vectors and popularity) into an empty database.
    func loadCatalog(_ connection: PQConnection) throws {
        try Migrator(connection).migrate()
        var rng = SplitMix64(seed: seed ^ 0xC0FFEE)
        let cdf = popularityCDF()
        try connection.copyIn("COPY products (product_id, name, embedding, popularity) FROM STDIN") { write in
            var vector = [Float](repeating: 0, count: Self.dimension)
            for id in 1...products {
                for i in 0..<Self.dimension { vector[i] = rng.nextGaussian() }
                let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                let text = vector.map { String($0 / norm) }.joined(separator: ",")
                try write("\(id)\tbench product \(id)\t[\(text)]\t\(cdf[id - 1] - (id > 1 ? cdf[id - 2] : 0))")
            }
        }
    }

    /// Empties the event tables and loads each customer's seeded history into `events` and `interactions`.
    func resetHistory(_ connection: PQConnection) throws {
        try connection.execute("TRUNCATE events, interactions, user_vectors, processed_messages RESTART IDENTITY")
        var stream = EventStream(cdf: popularityCDF(), customers: customers, seed: seed ^ 0x415)
        let now = Date()
        try connection.copyIn("COPY events (customer_id, product_id, event_name, occurred_at) FROM STDIN") { write in
            for customer in 1...customers {
                for _ in 0..<historyPerCustomer {
                    let age = Double(stream.rng.next() % 345_600_000) / 1000
                    try write("\(customer)\t\(stream.product())\t\(stream.eventName())\t\(now.addingTimeInterval(-age).postgresText)")
                }
            }
        }
        try connection.execute("""
            INSERT INTO interactions (customer_id, product_id, event_name, occurred_at, event_id)
            SELECT customer_id, product_id, event_name, occurred_at, event_id FROM events
            """)
        try connection.run(script: "VACUUM ANALYZE")
    }
}
