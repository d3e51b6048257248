import TowerModel
@testable import TowerTextEncoder
import XCTest

final class ProductTextTests: XCTestCase {
    func testFullTextMatchesTheSeedFormat() {
        let p = ProductText(name: "Nike Air Max", merchant: "Nike", categoryPath: ["Shoes", "Sneakers", "Running"],
                            color: "Blue", tier: .premium)
        XCTAssertEqual(p.text, "Nike Air Max | by Nike | Shoes | Sneakers | Running | Blue color | premium")
    }

    func testMissingAndBlankFieldsLeaveNoEmptySegments() {
        XCTAssertEqual(ProductText(name: "Mug").text, "Mug")
        XCTAssertEqual(ProductText(name: " Mug ", merchant: "  ", categoryPath: ["Kitchen", "", " Cups"],
                                   color: nil, tier: .midRange).text, "Mug | Kitchen | Cups | mid-range")
        XCTAssertEqual(ProductText(name: "Mug", color: "Red").text, "Mug | Red color")
    }

    func testHashIsSHA256OfTheTextAndChangesWithIt() {
        let a = ProductText(name: "Mug", tier: .budget)
        XCTAssertEqual(a.hash, SHA256.hex("Mug | budget"))
        XCTAssertNotEqual(a.hash, ProductText(name: "Mug", tier: .luxury).hash)
        XCTAssertEqual(a.hash.count, 64)
    }

    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(String(repeating: "a", count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Multi-byte UTF-8 (python: hashlib.sha256("Crème brûlée 小米 😀".encode()).hexdigest()).
        XCTAssertEqual(SHA256.hex("Crème brûlée 小米 😀"), "f13c182f92a08a45701cd62d0552688df575cef2507106a4b0804d2780c4ea61")
    }

    func testQuartileCutsUseLinearInterpolation() {
        // numpy.percentile([10, 20, 30, 40, 50], [25, 50, 75]) = [20, 30, 40];
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25].
        XCTAssertEqual(PriceTiers.quartileCuts([50, 10, 40, 20, 30]), [20, 30, 40])
        XCTAssertEqual(PriceTiers.quartileCuts([4, 3, 2, 1]), [1.75, 2.5, 3.25])
        XCTAssertEqual(PriceTiers.quartileCuts([7]), [7, 7, 7])
        XCTAssertNil(PriceTiers.quartileCuts([]))
    }

    func testTiersPerTopLevelCategoryWithCutsGoingToTheLowerTier() {
        let tiers = PriceTiers(prices: [10, 20, 30, 40, 50].map { (category: "Shoes", price: $0) }
                                    + [1000, 2000].map { (category: "Laptops", price: $0) })
        XCTAssertEqual(tiers.tier(price: 20, category: "Shoes"), .budget)
        XCTAssertEqual(tiers.tier(price: 20.01, category: "Shoes"), .midRange)
        XCTAssertEqual(tiers.tier(price: 30, category: "Shoes"), .midRange)
        XCTAssertEqual(tiers.tier(price: 40, category: "Shoes"), .premium)
        XCTAssertEqual(tiers.tier(price: 45, category: "Shoes"), .luxury)
        // Laptops: cuts 1250, 1500, 1750 — a 1000 laptop is budget although it is dearer than every shoe.
        XCTAssertEqual(tiers.tier(price: 1000, category: "Laptops"), .budget)
        XCTAssertEqual(tiers.tier(price: 2000, category: "Laptops"), .luxury)
        XCTAssertNil(tiers.tier(price: nil, category: "Shoes"))
    }

    func testUncategorisedProductsUseAllPricedProducts() {
        // All seven prices: 10 20 30 40 50 1000 2000 → cuts 25, 40, 525.
        let tiers = PriceTiers(prices: [10, 20, 30, 40, 50].map { (category: "Shoes", price: $0) }
                                    + [1000, 2000].map { (category: "Laptops", price: $0) })
        XCTAssertEqual(tiers.overallCuts, [25, 40, 525])
        XCTAssertEqual(tiers.tier(price: 25, category: nil), .budget)
        XCTAssertEqual(tiers.tier(price: 500, category: nil), .premium)
        XCTAssertEqual(tiers.tier(price: 600, category: nil), .luxury)
        // A category nobody priced falls back to the overall cuts as well.
        XCTAssertEqual(tiers.tier(price: 600, category: "Toys"), .luxury)
        XCTAssertNil(PriceTiers(prices: []).tier(price: 5, category: nil))
    }
}
