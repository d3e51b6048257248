import TowerModel
@testable import TowerTextEncoder
import XCTest

final class ProductTextPlannerTests: XCTestCase {
    private let catalog = [
        ProductTextPlanner.Product(id: 1, name: "Mug", merchant: "Bodum", categoryPath: ["Kitchen", "Cups"], color: "Red", price: 10),
        ProductTextPlanner.Product(id: 2, name: "Pot", categoryPath: ["Kitchen"], price: 20),
        ProductTextPlanner.Product(id: 3, name: "Pan", categoryPath: ["Kitchen"], price: 30),
        ProductTextPlanner.Product(id: 4, name: "Wok", categoryPath: ["Kitchen"], price: 40, fixedTier: .budget),
        ProductTextPlanner.Product(id: 5, name: "Gift card"),
        ProductTextPlanner.Product(id: 6, name: "Poster", categoryPath: [" ", "Art"], price: 5),
    ]

    func testBuildsTextsWithComputedOrFixedTiers() {
        let pending = ProductTextPlanner.pending(catalog)
        XCTAssertEqual(pending.map(\.id), [1, 2, 3, 4, 5, 6])
        // Kitchen prices 10 20 30 40 → cuts 17.5, 25, 32.5.
        XCTAssertEqual(pending[0].text, "Mug | by Bodum | Kitchen | Cups | Red color | budget")
        XCTAssertEqual(pending[1].tier, .midRange)
        XCTAssertEqual(pending[2].tier, .premium)
        XCTAssertEqual(pending[3].text, "Wok | Kitchen | budget")  // fixed tier wins over luxury
        XCTAssertEqual(pending[4].text, "Gift card")
        XCTAssertNil(pending[4].tier)
        // Blank first element: "Art" is the top-level category (a population of one → budget).
        XCTAssertEqual(pending[5].text, "Poster | Art | budget")
        XCTAssertEqual(pending[0].hash, SHA256.hex(pending[0].text))
    }

    func testSkipsProductsWhoseTextHashIsUnchangedUnlessAll() {
        let first = ProductTextPlanner.pending(catalog)
        var stored = catalog
        for i in stored.indices { stored[i].storedHash = first[i].hash }
        stored[1].name = "Stock pot"
        XCTAssertEqual(ProductTextPlanner.pending(stored).map(\.id), [2])
        XCTAssertEqual(ProductTextPlanner.pending(stored, all: true).count, catalog.count)
        // A price change that moves another product across a cut changes that product's text too.
        stored[1].name = "Pot"
        stored[0].price = 35
        XCTAssertEqual(Set(ProductTextPlanner.pending(stored).map(\.id)), [1, 2, 3])
    }
}
