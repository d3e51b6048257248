/// The input of one forward pass: `rowCount` interactions (product vector + type) and sequences,
/// each a contiguous run of rows with one age per position.
///
/// Inference gives every history its own rows; training lets the histories of consecutive target
/// events of one user share rows (each history is a contiguous window of the user's log), so each
/// interaction is projected once per batch. Sequences have exactly their own length: there is no
/// padding, so nothing can leak from it.
public struct UserTowerBatch: Sendable {
    /// Product vectors, `rowCount × dimension`, row-major.
    public var vectors: [Float]
    /// Per row: index into the configuration's `eventNames`, or `eventNames.count` for a type the model does
    /// not know (it gets the average type embedding and bias).
    public var types: [Int32]
    /// Per row: natural log of the interaction's event weight.
    public var logWeights: [Float]
    /// Per sequence: first row.
    public var starts: [Int]
    /// Per sequence: number of rows (1 … maxHistory).
    public var counts: [Int]
    /// Per sequence position (sequences back to back): age in seconds at the moment the sequence is encoded.
    public var ages: [Float]

    public init(vectors: [Float], types: [Int32], logWeights: [Float], starts: [Int], counts: [Int], ages: [Float]) {
        self.vectors = vectors
        self.types = types
        self.logWeights = logWeights
        self.starts = starts
        self.counts = counts
        self.ages = ages
    }

    public var rowCount: Int { types.count }
    public var sequenceCount: Int { starts.count }

    /// Checks the batch against a configuration; returns what is wrong, or nil.
    func problem(for config: UserTowerConfig) -> String? {
        let d = config.dimension, r = rowCount
        if vectors.count != r * d { return "vectors hold \(vectors.count) values, expected \(r) rows × \(d)" }
        if logWeights.count != r { return "logWeights has \(logWeights.count) values for \(r) rows" }
        if counts.count != starts.count { return "\(starts.count) starts but \(counts.count) counts" }
        if ages.count != counts.reduce(0, +) { return "ages has \(ages.count) values for \(counts.reduce(0, +)) positions" }
        if let t = types.first(where: { $0 < 0 || Int($0) > config.eventNames.count }) { return "type index \(t) is out of range" }
        for (s, n) in zip(starts, counts) where n < 1 || n > config.maxHistory || s < 0 || s + n > r {
            return "sequence at row \(s) with \(n) rows does not fit 1…\(config.maxHistory) rows inside \(r)"
        }
        return nil
    }
}
