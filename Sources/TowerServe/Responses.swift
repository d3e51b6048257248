import Hummingbird
import NIOCore
import TowerJSON
import TowerRanking

/// The JSON bodies of Tower's own API (docs/openapi.yaml: snake_case keys, absent optionals left out), written with
/// `JSONWriter`: a feed page's body costs a tenth of what `JSONEncoder` took.
enum JSONBody {
    /// A response whose body `write` writes.
    static func response(status: HTTPResponse.Status = .ok, capacity: Int = 1_024, _ write: (inout JSONWriter) -> Void) -> Response {
        var w = JSONWriter(capacity: capacity)
        write(&w)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }

    /// A product with its stored fields.
    static func product(_ p: CatalogProduct, _ w: inout JSONWriter) {
        w.object { w in
            w.field("product_id", p.productID)
            w.field("category_path", p.categoryPath)
            storedFields(p, &w)
            w.key("active"); w.bool(p.active)
        }
    }

    /// The stored fields both APIs show under the same names (Algolia's hits too): name, merchant, color, price, price
    /// tier, popularity and creation time, absent optionals left out.
    static func storedFields(_ p: CatalogProduct, _ w: inout JSONWriter) {
        w.field("name", p.name)
        if let merchant = p.merchant { w.field("merchant", merchant) }
        if let color = p.color { w.field("color", color) }
        if let price = p.price { w.key("price"); w.double(price) }
        if let tier = p.priceTier { w.field("price_tier", tier) }
        w.key("popularity"); w.double(p.popularity)
        w.key("created_at"); w.double(p.createdAt)
    }

    /// `"items": [...]`: each scored product with `reason` and, when it is among `products`, its stored fields.
    static func items(_ items: [(productID: Int64, score: Double)], reason: (Int) -> String, products: [CatalogProduct],
                      _ w: inout JSONWriter) {
        let byID = Dictionary(products.map { ($0.productID, $0) }, uniquingKeysWith: { a, _ in a })
        w.key("items")
        w.array { w in
            for (i, item) in items.enumerated() {
                w.object { w in
                    w.field("product_id", item.productID)
                    w.key("score"); w.double(item.score)
                    w.field("reason", reason(i))
                    if let p = byID[item.productID] { w.key("product"); product(p, &w) }
                }
            }
        }
    }
}
