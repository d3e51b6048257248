@testable import TowerEvaluation
import TowerTestSupport
import XCTest

final class EventLogTests: XCTestCase {
    static let second: Int64 = 1_000_000

    private func event(_ customer: Int64, _ product: Int64, _ seconds: Int64, _ name: String = "click") -> LoggedEvent {
        LoggedEvent(customerID: customer, productID: product, eventName: name, time: seconds * Self.second)
    }

    /// Slots of a history, as product ids oldest first.
    private func products(_ log: EventLog, _ catalog: CatalogVectors, _ e: Int) -> [Int64] {
        log.history(of: e).map { catalog.productIDs[Int(log.products[log.event(atSlot: $0)])] }
    }

    func testHistoryIsStrictlyEarlierInsideTheWindowWithBasketsExcluded() {
        let catalog = CatalogFixture.catalog([1, 2, 3, 4, 5, 6])
        let events = [
            event(7, 1, 0), event(8, 6, 5), event(7, 2, 10), event(7, 3, 10), event(7, 4, 20), event(7, 5, 25),
        ]
        let log = EventLog(events: events, catalog: catalog, eventNames: ["click"], windowSeconds: 15)
        XCTAssertEqual(products(log, catalog, 0), [])
        XCTAssertEqual(products(log, catalog, 1), [], "another customer's events are never history")
        XCTAssertEqual(products(log, catalog, 2), [1])
        XCTAssertEqual(products(log, catalog, 3), [1], "an event sharing the timestamp is not history")
        XCTAssertEqual(products(log, catalog, 4), [2, 3], "the event at t - 20 s is outside a 15 s window")
        XCTAssertEqual(products(log, catalog, 5), [2, 3, 4], "t - window itself (10 s) is inside")
    }

    func testHistoryKeepsTheTwentyMostRecentAndLogOrderBreaksTimeTies() {
        let catalog = CatalogFixture.catalog(Array(1...30))
        var events = (1...24).map { event(1, Int64($0), Int64($0)) }
        events.append(event(1, 25, 24))   // same second as product 24, later in the log
        events.append(event(1, 26, 30))
        let log = EventLog(events: events, catalog: catalog, eventNames: ["click"], windowSeconds: 3_600)
        XCTAssertEqual(products(log, catalog, 25), Array(6...25).map(Int64.init))
        XCTAssertEqual(log.history(of: 25).count, 20)
    }

    func testUnknownProductsAreDroppedAndUnknownNamesGetTypes() {
        let catalog = CatalogFixture.catalog([1, 2])
        let log = EventLog(events: [event(1, 1, 0, "view"), event(1, 99, 1), event(1, 2, 2, "wishlist")], catalog: catalog,
                           eventNames: ["view", "click"], windowSeconds: 60)
        XCTAssertEqual(log.count, 2)
        XCTAssertEqual(log.droppedEvents, 1)
        XCTAssertEqual(log.eventNames, ["view", "click", "wishlist"])
        XCTAssertEqual(log.types, [0, 2])
    }

    func testCatalogSortsByIdAndNormalises() {
        let c = CatalogVectors(dimension: 2, products: [(id: 9, vector: [3, 4], active: false), (id: 2, vector: [0, 2], active: true)])
        XCTAssertEqual(c.productIDs, [2, 9])
        XCTAssertEqual(Array(c.vector(1)), [0.6, 0.8])
        XCTAssertEqual(c.active, [true, false])
        XCTAssertEqual(c.index(of: 9), 1)
    }
}
