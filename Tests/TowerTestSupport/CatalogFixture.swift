import TowerEvaluation

/// Small deterministic catalogues for the evaluation and training tests.
public enum CatalogFixture {
    /// Products `ids`, each with an active `dimension`-value vector that depends on its id only.
    public static func catalog(_ ids: [Int64], dimension: Int = 4) -> CatalogVectors {
        CatalogVectors(dimension: dimension, products: ids.map { id in
            (id: id, vector: (0..<dimension).map { Float((Int(id) * 7 + $0 * 3) % 11) - 5 }, active: true)
        })
    }
}
