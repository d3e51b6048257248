import Foundation
import TowerConfig
import TowerModel
import TowerRuntime
import TowerStore
import TowerTestSupport
import XCTest
@testable import TowerWorker

/// The model's faults are Tower's, never the events': unfit output leaves the batch on the queue (retried,
/// counted for an alert) and nothing is dead-lettered. Real PostgreSQL and queue server.
final class ModelFaultTests: XCTestCase {
    private var fixture: WorkerFixture!
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tower-model-fault-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        fixture?.tearDown()
        try? FileManager.default.removeItem(at: directory)
    }

    func testAModelWhoseOutputOverflowsLeavesTheBatchOnTheQueueAndARepairedModelAppliesIt() throws {
        let path = directory.appendingPathComponent("user_tower.safetensors").path
        fixture = try WorkerFixture(name, overrides: ["TOWER_MODEL_PATH": path])
        let weights = fixture.configuration.settings.eventTypes.weights
        // Finite weights (the loader accepts them) whose final projection overflows Float32 to ±inf / NaN.
        let sane = UserTowerModel.untrained(eventWeights: weights)
        var parameters = sane.parameters
        for i in parameters.slots.first(where: { $0.name == "w_out" })!.range { parameters.values[i] = i % 2 == 0 ? 3e38 : -3e38 }
        try UserTowerWeights.save(UserTowerModel(parameters: parameters, eventWeights: weights, version: "overflowing"), to: path)
        let holder = try ModelHolder(path: path, eventTypes: fixture.configuration.settings.eventTypes)
        XCTAssertEqual(holder.current.version, "overflowing")

        let ids = try fixture.send((1...3).map { WorkerFixture.body(customer: Int64($0), product: Int64($0)) })
        let batch = try fixture.receive(3, visibility: 2)
        XCTAssertEqual(batch.count, 3)
        let metrics = DaemonMetrics()
        let pipeline = try fixture.pipeline(model: holder, metrics: metrics)
        XCTAssertThrowsError(try pipeline.process(batch)) { error in
            guard case PipelineError.internal(.nonFinite) = error else { return XCTFail("expected an internal error, got \(error)") }
        }
        XCTAssertEqual(PrometheusText(metrics.prometheus.exposition()).value("tower_internal_errors_total"), 1, metrics.prometheus.exposition())
        XCTAssertEqual(try fixture.count("SELECT count(*) FROM events"), 0, "the transaction is rolled back")
        XCTAssertEqual(try fixture.queueDepth(fixture.dlqURL), 0, "healthy events are never dead-lettered for the model's fault")
        XCTAssertEqual(try fixture.queueDepth(), 3, "the batch stays on the queue")

        // The operator installs a sane model and reloads: the same messages come back and are applied.
        try UserTowerWeights.save(sane, to: path)
        try holder.reload()
        Thread.sleep(forTimeInterval: 2.5)
        let again = try fixture.receive(3, visibility: 30)
        let summary = try pipeline.process(again)
        XCTAssertEqual(summary.applied, 3)
        XCTAssertEqual(summary.rejected, 0)
        try fixture.assertAppliedExactlyOnce(ids)
        try fixture.assertVectorsMatchRecompute(customers: [1, 2, 3])
    }

    func testAModelOfAnotherWidthIsRefusedAtLoadAndAFailedReloadKeepsThePreviousModel() throws {
        let path = directory.appendingPathComponent("user_tower.safetensors").path
        let types = try EventTypes.parse("product_viewed=1, product_purchased=8")
        let narrow = UserTowerModel.untrained(eventWeights: types.weights, dimension: 16)
        try UserTowerWeights.save(UserTowerModel(parameters: narrow.parameters, eventWeights: types.weights, version: "narrow"), to: path)
        XCTAssertThrowsError(try ModelHolder(path: path, eventTypes: types)) {
            XCTAssertEqual($0 as? ModelHolderError, .wrongWidth(path: path, found: 16, expected: 384))
        }

        let sane = UserTowerModel.untrained(eventWeights: types.weights)
        try UserTowerWeights.save(UserTowerModel(parameters: sane.parameters, eventWeights: types.weights, version: "trained-1"), to: path)
        let holder = try ModelHolder(path: path, eventTypes: types)
        XCTAssertEqual(holder.current.version, "trained-1")
        try UserTowerWeights.save(UserTowerModel(parameters: narrow.parameters, eventWeights: types.weights, version: "narrow"), to: path)
        XCTAssertThrowsError(try holder.reload())
        XCTAssertEqual(holder.current.version, "trained-1", "a refused file leaves the running model")

        try FileManager.default.removeItem(atPath: path)
        XCTAssertThrowsError(try holder.reload()) { XCTAssertEqual($0 as? ModelHolderError, .fileMissing(path: path)) }
        XCTAssertEqual(holder.current.version, "trained-1", "a missing file does not switch to the untrained model")
        XCTAssertEqual(holder.currentOrigin, .file(path))
    }

    func testVectorsOfAnotherWidthOrCountAreRefusedBeforeTheyAreWritten() {
        let good = [Float](repeating: 0.05, count: UserVectorRepository.dimension)
        XCTAssertNoThrow(try UserVectorRepository.check([good, good], for: [1, 2]))
        XCTAssertThrowsError(try UserVectorRepository.check([good], for: [1, 2])) {
            guard case UserVectorWriteError.wrongCount(2, 1) = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try UserVectorRepository.check([good, Array(good.prefix(10))], for: [1, 2])) {
            guard case UserVectorWriteError.wrongWidth(2, 384, 10) = $0 else { return XCTFail("\($0)") }
        }
        var infinite = good
        infinite[7] = .infinity
        XCTAssertThrowsError(try UserVectorRepository.check([infinite], for: [5])) {
            guard case UserVectorWriteError.nonFinite(5) = $0 else { return XCTFail("\($0)") }
        }
    }
}
