import Foundation
import LibPQ
import TowerConfig
import TowerEvaluation
import TowerModel
import TowerStore
import TowerOfflineUseCases
import XCTest

/// Loading the training and evaluation data of `tower train` / `tower evaluate` from real PostgreSQL.
final class ModelDataTests: UseCaseTestCase {
    private lazy var settings = try! TowerSettings(ConfigSource(values: [:]))

    /// Ten events of customer 10, one a day at noon UTC from 2 January 1970 on, cycling through the products.
    private func logTenDays() throws {
        for day in 1...10 {
            try connection.execute("""
                INSERT INTO events (customer_id, product_id, event_name, occurred_at) VALUES (10, $1, 'product_clicked', $2)
                """, [1 + day % productCount, Date(timeIntervalSince1970: Double(day) * 86_400 + 43_200)])
        }
    }

    func testTrainingReadsTheEventsBeforeTheSplitAndEvaluationReadsThemAll() throws {
        try logTenDays()
        let repository = EventLogRepository(connection)
        var read = 0
        let training = try ModelData.training(repository, settings: settings, until: "1970-01-06T00:00:00Z", window: "3d") { read += $0 }
        XCTAssertEqual(training.log.count, 4, "2…5 January precede the 6th")
        XCTAssertEqual(training.split, 5 * 86_400 * 1_000_000)
        XCTAssertEqual(training.windowSeconds, 3 * 86_400)
        XCTAssertEqual(training.catalog.count, productCount)
        XCTAssertEqual(read, training.log.count)
        let evaluation = try ModelData.evaluation(repository, settings: settings, splitAt: nil, window: nil)
        XCTAssertEqual(evaluation.log.count, 10)
        XCTAssertEqual(evaluation.windowSeconds, settings.windowSeconds)
        XCTAssertEqual(ModelData.iso(evaluation.split), "1970-01-11T12:00:00Z", "by default 90% of the events (9) precede the split")
    }

    func testUnusableDataAndOptionsSayWhatToDo() throws {
        let repository = EventLogRepository(connection)
        XCTAssertThrowsError(try ModelData.training(repository, settings: settings, until: nil, window: nil)) {
            XCTAssertEqual($0 as? ModelDataError, .emptyLog)
        }
        try logTenDays()
        XCTAssertThrowsError(try ModelData.training(repository, settings: settings, until: nil, window: "soon")) {
            XCTAssertEqual($0 as? ModelDataError, .badWindow("soon"))
        }
        XCTAssertThrowsError(try ModelData.evaluation(repository, settings: settings, splitAt: "yesterday", window: nil)) {
            guard case .badTime? = $0 as? ModelDataError else { return XCTFail("\($0)") }
        }
        try connection.execute("UPDATE products SET text_embedding = NULL, embedding = NULL")
        XCTAssertThrowsError(try ModelData.catalog(repository)) {
            XCTAssertEqual($0 as? ModelDataError, .noVectors(products: productCount))
            XCTAssertTrue("\($0)".contains("tower catalog embed"))
        }
    }
}
