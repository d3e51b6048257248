import Foundation
@testable import TowerModel
import TowerTestSupport
import XCTest

final class UserTowerWeightsTests: XCTestCase {
    private let weights: [String: Float] = ["view": 0.1, "click": 2, "cart": 5]
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ut-weights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func model() -> UserTowerModel {
        let items = ItemTower(dimension: 8, productIDs: [30, 10], residuals: (0..<16).map { Float($0) / 10 })
        return UserTowerModel(parameters: UserTowerFixture.randomParameters(), eventWeights: weights, version: "tower-test-1", items: items)
    }

    func testRoundTripKeepsEverything() throws {
        let path = folder.appendingPathComponent("m.safetensors").path
        let m = model()
        try m.save(path: path, training: "{\"epochs\":1}")
        let back = try UserTowerModel.load(path: path, eventWeights: weights)
        XCTAssertEqual(back.parameters, m.parameters)
        XCTAssertEqual(back.version, "tower-test-1")
        XCTAssertEqual(back.items, m.items)
        XCTAssertEqual(back.items?.productIDs, [10, 30])
        XCTAssertEqual(Array(back.items!.residual(of: 30)!), (0..<8).map { Float($0) / 10 })
        let file = try SafeTensorsFile(path: path)
        XCTAssertEqual(file.metadata["format"], "tower-user-tower")
        XCTAssertEqual(file.tensors["w_qk"]?.shape, [8, 12])
    }

    func testMissingFileSaysSo() {
        XCTAssertThrowsError(try UserTowerModel.load(path: folder.appendingPathComponent("none").path, eventWeights: weights)) {
            XCTAssertTrue("\($0)".contains("no such file"), "\($0)")
        }
    }

    private func write(_ tensors: [SafeTensor], _ metadata: [String: String]) throws -> String {
        let path = folder.appendingPathComponent("bad-\(UUID().uuidString).safetensors").path
        try SafeTensorsWriter.write(tensors, metadata: metadata, to: path)
        return path
    }

    private func goodParts() throws -> (tensors: [SafeTensor], metadata: [String: String]) {
        let path = folder.appendingPathComponent("good.safetensors").path
        try model().save(path: path)
        let file = try SafeTensorsFile(path: path)
        return (try file.names.map { SafeTensor(name: $0, shape: file.tensors[$0]!.shape, values: try file.floats($0)) }, file.metadata)
    }

    private func assertLoadFails(_ tensors: [SafeTensor], _ metadata: [String: String], mentioning words: [String],
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try write(tensors, metadata)
        XCTAssertThrowsError(try UserTowerModel.load(path: path, eventWeights: weights), file: file, line: line) { error in
            for w in words { XCTAssertTrue("\(error)".contains(w), "\"\(error)\" should mention \(w)", file: file, line: line) }
        }
    }

    func testWrongShapeNamesTensorAndShapes() throws {
        var (t, m) = try goodParts()
        let i = t.firstIndex { $0.name == "w_o" }!
        t[i] = SafeTensor(name: "w_o", shape: [4, 16], values: t[i].values)
        try assertLoadFails(t, m, mentioning: ["w_o", "[4, 16]", "[8, 8]"])
        m["format"] = "something"
        try assertLoadFails(try goodParts().tensors, m, mentioning: ["not a Tower user tower", "something"])
    }

    func testMissingTensorAndNonFiniteAndExtraTensor() throws {
        let (t, m) = try goodParts()
        try assertLoadFails(t.filter { $0.name != "pool_query" }, m, mentioning: ["pool_query"])
        var nan = t
        let i = nan.firstIndex { $0.name == "b_out" }!
        nan[i].values[0] = .nan
        try assertLoadFails(nan, m, mentioning: ["b_out", "NaN"])
        try assertLoadFails(t + [SafeTensor(name: "extra", shape: [1], values: [0])], m, mentioning: ["extra"])
    }

    func testBadMetadata() throws {
        let (t, m) = try goodParts()
        var noConfig = m
        noConfig["config"] = "{\"dimension\": 8}"
        try assertLoadFails(t, noConfig, mentioning: ["config"])
        var badHeads = m
        badHeads["config"] = m["config"]!.replacingOccurrences(of: "\"heads\":2", with: "\"heads\":3")
        try assertLoadFails(t, badHeads, mentioning: ["heads must divide"])
        var version = m
        version["format_version"] = "9"
        try assertLoadFails(t, version, mentioning: ["version 9"])
        var ids = m
        ids["item_product_ids"] = "[1, 2, 3]"
        try assertLoadFails(t, ids, mentioning: ["item_residual", "[3, 8]"])
    }
}
