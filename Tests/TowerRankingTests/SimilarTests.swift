import TowerRanking
import XCTest

final class SimilarTests: XCTestCase {
    func testSimilarMatchesBruteForceExcludingTheProductItself() throws {
        let f = try RankingFixture("similar")
        try f.addRandomProducts(250)
        let source = try XCTUnwrap(f.products.first { $0.vector != nil && !$0.active }, "an inactive product with a vector")
        let ranker = f.ranker()
        let items = try ranker.similar(to: source.id, limit: 30)
        XCTAssertTrue(items.allSatisfy { $0.reason == .similar })
        RankingFixture.assertMatches(items, Array(f.bruteForce(source.vector!) { $0.id != source.id }.prefix(30)))

        let filtered = try ranker.similar(to: source.id, filters: RankingFilters(color: "red"), limit: 10)
        RankingFixture.assertMatches(filtered, Array(f.bruteForce(source.vector!) { $0.id != source.id && $0.color == "red" }.prefix(10)))
    }
}
