import Foundation
import TowerMath
import TowerModel

/// Small random models and batches for the user tower tests.
public enum UserTowerFixture {
    public static let config = UserTowerConfig(dimension: 8, heads: 2, attentionDimension: 6, maxHistory: 5,
                                               eventNames: ["view", "click", "cart"], initialHalfLifeSeconds: 3_600)

    /// Parameters with every tensor random (so every path, attention included, carries gradient).
    public static func randomParameters(seed: UInt64 = 1, config: UserTowerConfig = config) -> UserTowerParameters {
        var p = UserTowerParameters(config: config, seed: seed)
        var rng = SplitMix64(seed: seed &+ 7)
        for i in p.values.indices { p.values[i] += 0.3 * rng.nextGaussian() }
        p["log_half_life"] = [Foundation.log(3_600)]
        return p
    }

    public static func randomVectors(_ count: Int, dimension: Int, rng: inout SplitMix64) -> [Float] {
        (0..<count * dimension).map { _ in rng.nextGaussian() }
    }

    /// Three sequences over six rows that share rows (as in training), with an unknown type (index 3),
    /// a length-1 sequence and a full-length one.
    public static func sharedRowBatch(seed: UInt64 = 3) -> UserTowerBatch {
        var rng = SplitMix64(seed: seed)
        let rows = 6
        return UserTowerBatch(vectors: randomVectors(rows, dimension: config.dimension, rng: &rng),
                              types: [0, 1, 2, 3, 1, 0],
                              logWeights: [-2.3, 0.69, 1.6, 0, 0.69, -2.3],
                              starts: [0, 1, 2], counts: [3, 5, 1],
                              ages: [100, 2_000, 7_000, 50, 900, 3_000, 4_000, 10_000, 30])
    }
}
