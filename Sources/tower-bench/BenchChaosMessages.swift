import Foundation
import TowerMath

/// An adversarial message of the chaos run: its kind and the rejection codes towerd may give it (`RejectionReason.code`).
struct ChaosAdversary: Sendable {
    var kind: String
    var expected: Set<String>
    /// The body for the `n`-th message of this kind; `customer` and `product` exist (only the flaw is wrong).
    var body: @Sendable (_ n: Int, _ customer: Int, _ product: Int, _ products: Int) -> String

    /// Every kind, used in turn.
    static let all: [ChaosAdversary] = [
        .init(kind: "truncated JSON", expected: ["malformed_json"]) { _, c, p, _ in #"{"customer_id":\#(c),"product_id":\#(p),"event_name":"product_vie"# },
        .init(kind: "JSON but not an object", expected: ["malformed_json"]) { n, _, _, _ in [#"[1,2,3]"#, #""product_viewed""#, "42", "null", "true"][n % 5] },
        .init(kind: "not JSON", expected: ["malformed_json"]) { n, c, p, _ in
            ["customer_id=\(c)&product_id=\(p)", "<event customer=\"\(c)\"/>", " ", "{'customer_id': \(c)}"][n % 4]
        },
        .init(kind: "unknown product", expected: ["product_without_vector"]) { n, c, _, products in
            #"{"customer_id":\#(c),"product_id":\#(products + 1 + n),"event_name":"product_viewed"}"#
        },
        .init(kind: "boolean id", expected: ["wrong_type"]) { _, _, p, _ in #"{"customer_id":true,"product_id":\#(p),"event_name":"product_viewed"}"# },
        .init(kind: "fractional id", expected: ["wrong_type"]) { _, c, p, _ in #"{"customer_id":\#(c),"product_id":\#(p).5,"event_name":"product_viewed"}"# },
        .init(kind: "id with letters", expected: ["wrong_type"]) { _, c, p, _ in #"{"customer_id":"\#(c)a","product_id":\#(p),"event_name":"product_viewed"}"# },
        .init(kind: "event_name not a string", expected: ["wrong_type"]) { n, c, p, _ in
            #"{"customer_id":\#(c),"product_id":\#(p),"event_name":\#(["7", "[\"product_viewed\"]", "{}"][n % 3])}"#
        },
        .init(kind: "missing or null field", expected: ["missing_field"]) { n, c, p, _ in
            [#"{"product_id":\#(p),"event_name":"product_viewed"}"#, #"{"customer_id":\#(c),"product_id":null,"event_name":"product_viewed"}"#,
             #"{"customer_id":\#(c),"product_id":\#(p)}"#][n % 3]
        },
        .init(kind: "huge body", expected: ["too_large"]) { n, c, p, _ in
            // From just over towerd's 16 KiB limit to just under SQS's 256 KiB (its DLQ copy must still fit).
            let size = [16_385, 65_536, 200_000, 261_000][n % 4]
            let head = #"{"customer_id":\#(c),"product_id":\#(p),"event_name":"product_viewed","padding":""#
            return head + String(repeating: "x", count: size - head.utf8.count - 2) + #""}"#
        },
        .init(kind: "lone surrogate", expected: ["malformed_json"]) { n, c, p, _ in
            n % 2 == 0 ? #"{"customer_id":\#(c),"product_id":\#(p),"event_name":"product_viewed\ud800"}"#
                : #"{"customer_id":"\udc00\#(c)","product_id":\#(p),"event_name":"product_viewed"}"#
        },
        .init(kind: "unknown event name", expected: ["unknown_event_type"]) { n, c, p, _ in
            #"{"customer_id":\#(c),"product_id":\#(p),"event_name":"\#(["product_purchased", "", "PRODUCT_VIEWED", "product_viewed ", "product_viewed\\u0000"][n % 5])"}"#
        },
        .init(kind: "id out of range", expected: ["id_out_of_range"]) { n, c, p, _ in
            let id = ["0", "-3", "9223372036854775808", "\"99999999999999999999\""][n % 4]
            return n % 2 == 0 ? #"{"customer_id":\#(id),"product_id":\#(p),"event_name":"product_viewed"}"#
                : #"{"customer_id":\#(c),"product_id":\#(id),"event_name":"product_viewed"}"#
        },
        .init(kind: "bad occurred_at", expected: ["bad_occurred_at"]) { n, c, p, _ in
            let at = ["\"yesterday\"", "\"2024-05-01T12:00:00\"", "\"2999-01-01T00:00:00Z\"", "1e20"][n % 4]
            return #"{"customer_id":\#(c),"product_id":\#(p),"event_name":"product_viewed","occurred_at":\#(at)}"#
        },
        .init(kind: "bad event_id", expected: ["bad_event_id"]) { n, c, p, _ in
            let id = ["\"\"", "\"" + String(repeating: "e", count: 129) + "\"", #""id\u0007x""#][n % 3]
            return #"{"customer_id":\#(c),"product_id":\#(p),"event_name":"product_viewed","event_id":\#(id)}"#
        },
        .init(kind: "duplicate field", expected: ["duplicate_field"]) { _, c, p, _ in
            #"{"customer_id":\#(c),"customer_id":\#(c + 1),"product_id":\#(p),"event_name":"product_viewed"}"#
        },
        .init(kind: "deeply nested", expected: ["malformed_json"]) { _, c, p, _ in
            #"{"customer_id":\#(c),"product_id":\#(p),"event_name":"product_viewed","x":"# + String(repeating: "[", count: 5_000)
                + String(repeating: "]", count: 5_000) + "}"
        },
    ]
}

/// The chaos run's messages, in send order: the workload's valid events with adversarial ones at seeded positions.
/// Every 8th valid event takes an unusual but valid form (ids as strings, an explicit `occurred_at`, an unknown
/// field with non-ASCII text), so the run also catches healthy events refused. Every 25th carries an `event_id` and
/// is sent again 37 messages later, as by a producer that timed out and retried: the two are one event.
/// Remembers what it produced (read it once the producer finished).
final class ChaosMessages: BenchMessageSource {
    /// What message `i` is.
    enum Expectation {
        case valid(customer: Int64, product: Int64, eventName: String)
        /// A producer's retry of message `of` (the same body, the same `event_id`).
        case retry(of: Int)
        /// Index into `ChaosAdversary.all`.
        case bad(Int)
    }

    static let retryEvery = 25
    static let retryGap = 37

    /// How many messages the run sends: the valid ones, their retries and the bad ones.
    static func total(valid: Int, bad: Int) -> Int { valid + valid / retryEvery + bad }

    private var stream: BenchWorkload.EventStream
    private let customers: Int
    private let products: Int
    private let seed: UInt64
    private let originalTotal: Int
    private var badAt: Set<Int>
    private var badCount = 0
    private var validCount = 0
    /// Messages of the stream before retries (valid and bad) produced so far.
    private var originals = 0
    private var retries: [(due: Int, original: Int, body: String)] = []
    private(set) var produced: [Expectation] = []

    init(workload: BenchWorkload, valid: Int, bad: Int, seed: UInt64) {
        stream = workload.events(seed: seed)
        customers = workload.customers
        products = workload.products
        self.seed = seed
        originalTotal = valid + bad
        var rng = SplitMix64(seed: seed ^ 0xBAD)
        var positions = Array(0..<(valid + bad))
        positions.shuffle(using: &rng)
        badAt = Set(positions.prefix(bad))
    }

    func next() -> String {
        let i = produced.count
        if let retry = retries.first, retry.due <= i || originals == originalTotal {
            retries.removeFirst()
            produced.append(.retry(of: retry.original))
            return retry.body
        }
        defer { originals += 1 }
        if badAt.contains(originals) {
            let kinds = ChaosAdversary.all
            let k = badCount % kinds.count, n = badCount / kinds.count
            badCount += 1
            produced.append(.bad(k))
            return kinds[k].body(n, 1 + (badCount * 7919) % customers, 1 + (badCount * 104_729) % products, products)
        }
        let e = stream.nextEvent()
        validCount += 1
        produced.append(.valid(customer: Int64(e.customer), product: Int64(e.product), eventName: e.eventName))
        let eventID = validCount % Self.retryEvery == 0 ? #","event_id":"chaos-\#(seed)-\#(validCount)""# : ""
        let body: String
        if validCount % 8 == 0 {
            let at = Date().addingTimeInterval(-Double(validCount % 3_600)).formatted(Date.ISO8601FormatStyle())
            body = #"{"event_name":"\#(e.eventName)","note":"Grüße, naïve café ☕️ \u00e9","customer_id":"\#(e.customer)","occurred_at":"\#(at)","product_id":"\#(e.product)"\#(eventID)}"#
        } else {
            body = #"{"customer_id":\#(e.customer),"product_id":\#(e.product),"event_name":"\#(e.eventName)"\#(eventID)}"#
        }
        if !eventID.isEmpty { retries.append((due: i + Self.retryGap, original: i, body: body)) }
        return body
    }
}
