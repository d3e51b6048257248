import Foundation
import Hummingbird
import TowerRanking

/// A product as Tower's own API shows it (snake_case keys).
struct ProductBody: Codable, Sendable {
    let productId: Int64
    let name: String
    let categoryPath: [String]
    let merchant: String?
    let color: String?
    let price: Double?
    let priceTier: String?
    let popularity: Double
    /// Unix seconds.
    let createdAt: Double
    let active: Bool

    init(_ p: CatalogProduct) {
        productId = p.productID
        name = p.name
        categoryPath = p.categoryPath
        merchant = p.merchant
        color = p.color
        price = p.price
        priceTier = p.priceTier
        popularity = p.popularity
        createdAt = p.createdAt
        active = p.active
    }
}

/// One scored product of a list, with its stored fields.
struct ItemBody: Codable, Sendable {
    let productId: Int64
    let score: Double
    let reason: String
    let product: ProductBody?
}

struct ListBody: Codable, Sendable {
    let items: [ItemBody]
}

struct FeedBody: Codable, Sendable {
    let customerId: Int64
    let mode: String
    let page: Int
    let perPage: Int
    let total: Int?
    let items: [ItemBody]
}

struct FacetBody: Codable, Sendable {
    struct Value: Codable, Sendable {
        let value: String
        let score: Double
    }
    let attribute: String
    let facets: [Value]
}

/// JSON responses.
enum JSONBody {
    static let snakeCase: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        return e
    }()

    static func response(_ value: some Encodable, encoder: JSONEncoder = snakeCase, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
