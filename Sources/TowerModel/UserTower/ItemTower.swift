import TowerMath

/// The trained item side: a learned residual per product added to its text vector
/// (as TensorFlow Recommenders places an id embedding beside the text embedding).
///
/// A product's served vector is `normalize(text_embedding + residual)`; a product the model has never
/// seen has no residual and is served its normalised text vector.
public struct ItemTower: Sendable, Equatable {
    public let dimension: Int
    /// Products with a residual, ascending.
    public let productIDs: [Int64]
    /// `productIDs.count × dimension`, row-major, in `productIDs` order.
    public let residuals: [Float]
    private let rowOf: [Int64: Int]

    public init(dimension: Int, productIDs: [Int64], residuals: [Float]) {
        precondition(residuals.count == productIDs.count * dimension, "residuals need one row per product")
        let order = productIDs.indices.sorted { productIDs[$0] < productIDs[$1] }
        self.dimension = dimension
        self.productIDs = order.map { productIDs[$0] }
        var sorted = [Float]()
        sorted.reserveCapacity(residuals.count)
        for i in order { sorted += residuals[i * dimension ..< (i + 1) * dimension] }
        self.residuals = sorted
        rowOf = Dictionary(uniqueKeysWithValues: self.productIDs.enumerated().map { ($1, $0) })
    }

    /// The residual of a product, if the model learned one.
    public func residual(of productID: Int64) -> ArraySlice<Float>? {
        rowOf[productID].map { residuals[$0 * dimension ..< ($0 + 1) * dimension] }
    }

    /// The served vector of a product given its text vector.
    public func vector(of productID: Int64, text: [Float]) -> [Float] {
        precondition(text.count == dimension, "text vector has \(text.count) values, expected \(dimension)")
        var v = text
        if let r = residual(of: productID) { for (i, x) in r.enumerated() { v[i] += x } }
        return VectorOps.l2Normalized(v)
    }

    public static func == (a: ItemTower, b: ItemTower) -> Bool {
        a.dimension == b.dimension && a.productIDs == b.productIDs && a.residuals == b.residuals
    }
}
