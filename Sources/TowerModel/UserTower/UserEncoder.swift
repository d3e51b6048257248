/// One interaction of a user's recent history, as the user tower reads it.
public struct TowerInteraction: Sendable, Equatable {
    /// The product's served vector (`products.embedding`).
    public var productVector: [Float]
    public var eventName: String
    /// Seconds between the interaction and the moment the vector is computed (not negative).
    public var ageSeconds: Float

    public init(productVector: [Float], eventName: String, ageSeconds: Float) {
        self.productVector = productVector
        self.eventName = eventName
        self.ageSeconds = ageSeconds
    }
}

/// Turns users' recent interactions into vectors in the product space.
public protocol UserEncoder: Sendable {
    /// Model version string, stored with each user vector.
    var version: String { get }
    /// One vector per history, computed as one batch (one set of GEMMs). Each history is most recent first,
    /// 1 … 20 items (more are cut to the 20 most recent); the vectors are L2-normalised. An empty history
    /// gives a zero vector.
    func encode(_ histories: [[TowerInteraction]]) -> [[Float]]
}
