import Foundation

/// A problem with stored re-ranker parameters.
public enum RerankError: Error, CustomStringConvertible, Equatable {
    case unsupportedFormat(String)
    case featureMismatch(stored: [String], expected: [String])
    case shape(String)

    public var description: String {
        switch self {
        case .unsupportedFormat(let f):
            return "re-ranker parameters have format \"\(f)\", this build reads \"\(RerankParameters.currentFormat)\": retrain with `tower train`"
        case .featureMismatch(let stored, let expected):
            return "re-ranker parameters were trained on features \(stored), this build computes \(expected): retrain with `tower train`"
        case .shape(let what): return "re-ranker parameters are damaged (\(what)): retrain with `tower train`"
        }
    }
}

/// The learned scorer: standardised features `z = (x − mean) / scale`, then
/// `score = w·z + Σ_h v_h tanh(W1_h·z + b1_h) + bias` (`hidden` = 0: linear). Codable as JSON, versioned.
public struct RerankParameters: Codable, Sendable, Equatable {
    public static let currentFormat = "tower-rerank-v1"
    public var format: String
    /// `rerank-<UTC time>-<8 hex>` of the training run.
    public var version: String
    public var featureNames: [String]
    public var mean: [Float]
    public var scale: [Float]
    public var linear: [Float]
    public var hidden: Int
    /// `hidden × features`, row-major.
    public var hiddenWeights: [Float]
    public var hiddenBias: [Float]
    public var output: [Float]
    public var bias: Float
    public var candidates: CandidateSettings

    /// Zero weights (every candidate scores 0) with unit scales.
    public init(version: String, hidden: Int = 0, candidates: CandidateSettings = CandidateSettings()) {
        let f = RerankFeatures.count
        format = Self.currentFormat
        self.version = version
        featureNames = RerankFeatures.names
        mean = [Float](repeating: 0, count: f)
        scale = [Float](repeating: 1, count: f)
        linear = [Float](repeating: 0, count: f)
        self.hidden = hidden
        hiddenWeights = [Float](repeating: 0, count: hidden * f)
        hiddenBias = [Float](repeating: 0, count: hidden)
        output = [Float](repeating: 0, count: hidden)
        bias = 0
        self.candidates = candidates
    }

    /// Throws when the parameters do not fit this build's features or are inconsistent.
    public func validate() throws {
        guard format == Self.currentFormat else { throw RerankError.unsupportedFormat(format) }
        guard featureNames == RerankFeatures.names else {
            throw RerankError.featureMismatch(stored: featureNames, expected: RerankFeatures.names)
        }
        let f = featureNames.count
        for (name, values, n) in [("mean", mean, f), ("scale", scale, f), ("linear", linear, f),
                                  ("hiddenWeights", hiddenWeights, hidden * f), ("hiddenBias", hiddenBias, hidden),
                                  ("output", output, hidden)] {
            guard values.count == n else { throw RerankError.shape("\(name) has \(values.count) values, expected \(n)") }
            guard values.allSatisfy(\.isFinite) else { throw RerankError.shape("\(name) holds NaN or infinite values") }
        }
        guard hidden >= 0, bias.isFinite else { throw RerankError.shape("hidden or bias invalid") }
        guard scale.allSatisfy({ $0 > 0 }) else { throw RerankError.shape("a scale is not positive") }
        let c = candidates
        guard c.similar >= 0, c.repeat >= 0, c.covisit >= 0, c.ease >= 0, c.interests >= 0, c.perInterest >= 0, c.popular >= 0, c.rerank >= 0 else {
            throw RerankError.shape("negative candidate counts")
        }
    }

    /// JSON text (sorted keys).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Decodes and validates JSON written by `json()`.
    public static func decode(json: String) throws -> RerankParameters {
        let p: RerankParameters
        do { p = try JSONDecoder().decode(RerankParameters.self, from: Data(json.utf8)) } catch {
            throw RerankError.shape("not valid re-ranker JSON: \(error)")
        }
        try p.validate()
        return p
    }

    /// Scores of a row-major feature matrix.
    public func scores(_ features: [Float]) -> [Float] {
        let f = featureNames.count
        precondition(features.count % max(f, 1) == 0, "whole feature rows")
        let units = HiddenUnits(self)
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: f) { z in
            features.withUnsafeBufferPointer { all in
                [Float](unsafeUninitializedCapacity: all.count / f) { out, rows in
                    for r in 0 ..< all.count / f { out[r] = score(UnsafeBufferPointer(rebasing: all[r * f ..< (r + 1) * f]), units, z: z) }
                    rows = all.count / f
                }
            }
        }
    }

    /// The score of row `x`, with the standardised features in the scratch space `z` (`featureNames.count` values).
    private func score(_ x: UnsafeBufferPointer<Float>, _ units: HiddenUnits, z: UnsafeMutableBufferPointer<Float>) -> Float {
        let f = featureNames.count
        var s = bias
        for i in 0..<f {
            z[i] = (x[i] - mean[i]) / scale[i]
            s += linear[i] * z[i]
        }
        for g in units.bias.indices {
            var a = units.bias[g]
            for i in 0..<f { a += units.weights[g * f + i] * z[i] }
            for lane in 0 ..< min(8, hidden - 8 * g) { s += output[8 * g + lane] * tanh(a[lane]) }
        }
        return s
    }
}

/// The hidden units in groups of 8 (lanes past the last unit 0), so a row's sums of 8 units advance together, each still
/// in feature order: `bias[g]` and, per feature i, `weights[g * features + i]`.
private struct HiddenUnits {
    var bias: [SIMD8<Float>]
    var weights: [SIMD8<Float>]

    init(_ p: RerankParameters) {
        let f = p.featureNames.count, groups = (p.hidden + 7) / 8
        func lanes(_ value: (Int) -> Float, group g: Int) -> SIMD8<Float> {
            var v = SIMD8<Float>()
            for lane in 0 ..< min(8, p.hidden - 8 * g) { v[lane] = value(8 * g + lane) }
            return v
        }
        bias = (0..<groups).map { g in lanes({ p.hiddenBias[$0] }, group: g) }
        weights = (0 ..< groups * f).map { k in lanes({ p.hiddenWeights[$0 * f + k % f] }, group: k / f) }
    }
}

/// Re-ranks candidates: the one scoring path of `tower evaluate` and `TowerRanking`.
public enum Reranker {
    /// Candidate product ids, best first: score descending, then product id ascending (a total order).
    public static func order(_ candidates: [ProductSignals], context: RerankContext, parameters: RerankParameters) -> [Int64] {
        let scores = parameters.scores(RerankFeatures.matrix(candidates, context: context))
        var ranked = candidates.indices.map { Ranked(id: candidates[$0].productID, score: scores[$0]) }
        ranked.sort(by: Ranked.before)
        return ranked.map(\.id)
    }
}
