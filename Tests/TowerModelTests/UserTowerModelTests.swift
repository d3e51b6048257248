import Foundation
import TowerMath
@testable import TowerModel
import TowerTestSupport
import XCTest

final class UserTowerModelTests: XCTestCase {
    private let weights: [String: Float] = ["view": 0.1, "click": 2, "cart": 5]

    private func history(_ n: Int, rng: inout SplitMix64, dimension: Int = 384) -> [TowerInteraction] {
        let names = ["view", "click", "cart"]
        return (0..<n).map { i in
            TowerInteraction(productVector: (0..<dimension).map { _ in rng.nextGaussian() },
                             eventName: names[rng.nextIndex(3)], ageSeconds: Float(i * 600 + rng.nextIndex(500)))
        }
    }

    private func trained(seed: UInt64 = 1) -> UserTowerModel {
        let config = UserTowerConfig(eventNames: ["view", "click", "cart"])
        var p = UserTowerParameters(config: config, seed: seed)
        var rng = SplitMix64(seed: seed)
        for slot in p.slots where slot.name != "log_half_life" {
            for i in slot.range { p.values[i] += 0.05 * rng.nextGaussian() }
        }
        return UserTowerModel(parameters: p, eventWeights: weights, version: "test")
    }

    private func assertVectorsEqual(_ a: [Float], _ b: [Float], accuracy: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, accuracy, file: file, line: line)
    }

    func testUntrainedIsEventWeightedRecencyDecayedMean() {
        var rng = SplitMix64(seed: 11)
        let h = history(7, rng: &rng)
        let model = UserTowerModel.untrained(eventWeights: weights)
        var expected = [Float](repeating: 0, count: 384)
        for item in h {
            let w = weights[item.eventName]! * Foundation.pow(2, -item.ageSeconds / 86_400)
            for i in 0..<384 { expected[i] += w * item.productVector[i] }
        }
        let norm = expected.map { $0 * $0 }.reduce(0, +).squareRoot()
        assertVectorsEqual(model.encode([h])[0], expected.map { $0 / norm })
        XCTAssertEqual(model.version, UserTowerModel.untrainedVersion)
    }

    func testBatchedEqualsOneByOneForAllLengths() {
        var rng = SplitMix64(seed: 12)
        let histories = (1...20).map { history($0, rng: &rng) } + [history(1, rng: &rng)]
        let model = trained()
        let batched = model.encode(histories)
        for (h, v) in zip(histories, batched) {
            assertVectorsEqual(v, model.encode([h])[0])
            XCTAssertEqual(v.map { $0 * $0 }.reduce(0, +), 1, accuracy: 1e-4)
        }
    }

    func testOnlyTheTwentyMostRecentCount() {
        var rng = SplitMix64(seed: 13)
        let long = history(26, rng: &rng)
        let model = trained()
        assertVectorsEqual(model.encode([long])[0], model.encode([Array(long.prefix(20))])[0])
    }

    func testEmptyHistoryGivesZeroVectorAndOthersAreUnaffected() {
        var rng = SplitMix64(seed: 14)
        let h = history(3, rng: &rng)
        let out = trained().encode([[], h])
        XCTAssertEqual(out[0], [Float](repeating: 0, count: 384))
        assertVectorsEqual(out[1], trained().encode([h])[0])
    }

    /// Shared rows (training layout) give exactly what separate rows (inference layout) give.
    func testSharedRowsMatchSeparateRows() {
        let params = UserTowerFixture.randomParameters()
        let shared = UserTowerFixture.sharedRowBatch()
        var separate = UserTowerBatch(vectors: [], types: [], logWeights: [], starts: [], counts: [], ages: shared.ages)
        for (s, n) in zip(shared.starts, shared.counts) {
            separate.starts.append(separate.types.count)
            separate.counts.append(n)
            for r in s ..< s + n {
                separate.vectors += shared.vectors[r * 8 ..< (r + 1) * 8]
                separate.types.append(shared.types[r])
                separate.logWeights.append(shared.logWeights[r])
            }
        }
        let a = UserTowerPass(config: params.config, batch: shared), b = UserTowerPass(config: params.config, batch: separate)
        a.forward(params)
        b.forward(params)
        assertVectorsEqual(a.output.array(), b.output.array())
    }

    func testUnknownEventTypeUsesAverageEmbeddingAndFallbackWeight() {
        var rng = SplitMix64(seed: 15)
        var h = history(4, rng: &rng)
        let model = UserTowerModel(parameters: trained().parameters, eventWeights: weights, fallbackEventName: "click", version: "t")
        XCTAssertEqual(model.weight(of: "wishlist"), 2)
        XCTAssertEqual(model.typeIndex(of: "wishlist"), 3)
        XCTAssertEqual(UserTowerModel.untrained(eventWeights: weights).weight(of: "wishlist"), 1)
        for i in h.indices { h[i].eventName = "cart" }
        h[1].eventName = "wishlist"
        let v = model.encode([h])[0]
        XCTAssertTrue(v.allSatisfy(\.isFinite))
        // Average embedding: equal to a model whose table has the average in place of "click" for that row.
        var p = model.parameters
        let d = 384
        var embedding = p["type_embedding"], bias = p["type_bias"]
        for i in 0..<d { embedding[1 * d + i] = (embedding[i] + embedding[d + i] + embedding[2 * d + i]) / 3 }
        bias[1] = bias.reduce(0, +) / 3
        p["type_embedding"] = embedding
        p["type_bias"] = bias
        h[1].eventName = "click"
        let viaClick = UserTowerModel(parameters: p, eventWeights: weights, version: "t").encode([h])[0]
        assertVectorsEqual(v, viaClick)
    }

    func testOrderOfHistoryDoesNotMatterOnlyAges() {
        var rng = SplitMix64(seed: 16)
        let h = history(6, rng: &rng)
        let model = trained()
        assertVectorsEqual(model.encode([h])[0], model.encode([h.reversed()])[0])
    }
}
