import LibPQ
@testable import TowerRanking
import TowerTestSupport
import XCTest

/// The catalog snapshot's read from the real database (`CatalogSnapshot.read`): a refresh fetches the vectors of
/// changed rows only and still sees every change.
final class CatalogSnapshotReadTests: XCTestCase {
    func testARefreshReadsTheVectorsOfChangedRowsOnlyAndSeesEveryChange() throws {
        let f = try RankingFixture("snapshotread")
        let added = try f.addRandomProducts(300)
        let rankable = added.filter { $0.active && $0.vector != nil }
        let ranker = f.ranker()
        try ranker.refreshCatalogSnapshot()
        XCTAssertEqual(ranker.catalogSnapshotProducts, rankable.count)
        XCTAssertEqual(ranker.catalogSnapshotVectorsRead, rankable.count, "the first read fetches every vector")
        try ranker.refreshCatalogSnapshot()
        XCTAssertEqual(ranker.catalogSnapshotVectorsRead, 0, "nothing changed")

        let (reembedded, repriced, deactivated, untouched) = (rankable[0], rankable[1], rankable[2], rankable[3])
        let newVector = f.randomUnitVector()
        try f.writer.execute("UPDATE products SET embedding = $1::vector WHERE product_id = $2", [PQVector(newVector), reembedded.id])
        try f.writer.execute("UPDATE products SET price = 1234.5 WHERE product_id = $1", [repriced.id])
        try f.writer.execute("UPDATE products SET active = false WHERE product_id = $1", [deactivated.id])
        var new = rankable[4]
        new.id = 10_000
        try f.insert([new])
        try ranker.refreshCatalogSnapshot()

        XCTAssertEqual(ranker.catalogSnapshotProducts, rankable.count, "one product left, one came")
        XCTAssertEqual(ranker.catalogSnapshotVectorsRead, 3, "the re-embedded, the re-priced and the new product's rows changed")
        let snapshot = try XCTUnwrap(ranker.caches.catalog.current())
        XCTAssertEqual(snapshot.vector(of: reembedded.id), newVector)
        XCTAssertEqual(snapshot.vector(of: untouched.id), untouched.vector, "from the previous snapshot")
        XCTAssertEqual(snapshot.vector(of: new.id), new.vector)
        XCTAssertNil(snapshot.product(deactivated.id))
        XCTAssertEqual(snapshot.product(repriced.id)?.price, 1234.5)
        let top = snapshot.nearest(1, query: newVector, filters: .none, budget: snapshot.count)
        XCTAssertEqual(top?.first?.id, reembedded.id, "ranked by its new vector")
    }
}
