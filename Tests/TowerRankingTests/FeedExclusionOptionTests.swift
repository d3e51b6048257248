import TowerRanking
import XCTest

/// The one spelling of the exclusion option shared by the CLI and both HTTP APIs (pure parsing).
final class FeedExclusionOptionTests: XCTestCase {
    func testOptionSpellings() {
        XCTAssertEqual(FeedExclusion(option: "none"), FeedExclusion.none)
        XCTAssertEqual(FeedExclusion(option: "carted"), .carted)
        XCTAssertEqual(FeedExclusion(option: "interacted"), .interacted)
        XCTAssertEqual(FeedExclusion(option: "events:product_viewed, order_placed"), .events(named: ["product_viewed", "order_placed"]))
        for bad in ["", "bought", "events:", "events:,", "Carted", "events:" + Array(repeating: "a", count: 21).joined(separator: ",")] {
            XCTAssertNil(FeedExclusion(option: bad), bad)
        }
    }
}
