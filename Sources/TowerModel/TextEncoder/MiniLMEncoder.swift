import Foundation
import TowerMath

/// sentence-transformers/all-MiniLM-L6-v2 in Swift: WordPiece tokenization, the BERT encoder on
/// OpenBLAS, mean pooling over the tokens and L2 normalisation. Produces 384-d unit vectors equal
/// (cosine ≥ 0.9999) to the reference implementation's.
///
/// Thread-safe: the weights are immutable, every call allocates its own workspace.
public final class MiniLMEncoder: Sendable {
    public static let weightsFile = "model.safetensors"
    public static let vocabularyFile = "vocab.txt"

    public let tokenizer: WordPieceTokenizer
    public let config: MiniLMConfig
    private let weights: MiniLMWeights
    private let scratch = ScratchPool()

    /// The output dimension (384).
    public var dimension: Int { config.hidden }

    /// Loads `model.safetensors` and `vocab.txt` from `directory` (TowerSettings.encoderDirectory).
    public init(directory: String, config: MiniLMConfig = .allMiniLML6v2) throws {
        let folder = URL(fileURLWithPath: directory)
        let weightsPath = folder.appendingPathComponent(Self.weightsFile).path
        let vocabularyPath = folder.appendingPathComponent(Self.vocabularyFile).path
        for path in [weightsPath, vocabularyPath] where !FileManager.default.fileExists(atPath: path) {
            throw TextEncoderError.missingWeights(path: path)
        }
        tokenizer = try WordPieceTokenizer(vocabularyFile: vocabularyPath)
        guard tokenizer.vocabularySize == config.vocabularySize else {
            throw TextEncoderError.invalidVocabulary(path: vocabularyPath,
                                                     reason: "\(tokenizer.vocabularySize) tokens, expected \(config.vocabularySize)")
        }
        do {
            weights = try MiniLMWeights(file: SafeTensorsFile(path: weightsPath), config: config)
        } catch let error as SafeTensorsError {
            throw TextEncoderError.invalidWeights(error)
        }
        self.config = config
    }

    /// The embeddings of `texts`, in order, encoded as one batch on the calling thread
    /// (OpenBLAS may still use its own threads for the GEMMs).
    public func embed(_ texts: [String]) -> [[Float]] {
        embed(tokenIDs: texts.map(tokenizer.encode))
    }

    /// The embeddings of already tokenized sequences (`[CLS] … [SEP]`, at most `config.maxPositions` ids each).
    public func embed(tokenIDs: [[Int32]]) -> [[Float]] {
        MiniLMForward(weights: weights, scratch: scratch).embed(tokenIDs)
    }

    /// The embeddings of `texts`, with the batch split into `threads` parts of about equal token
    /// counts, encoded concurrently. Use with `BLAS.setThreads(1)`: one GEMM stream per core
    /// instead of OpenBLAS threads.
    public func embed(_ texts: [String], threads: Int) -> [[Float]] {
        let sequences = texts.map(tokenizer.encode)
        let parts = Self.partition(sequences.map(\.count), into: threads)
        guard parts.count > 1 else { return embed(tokenIDs: sequences) }
        let results = ResultSlots(count: parts.count)
        DispatchQueue.concurrentPerform(iterations: parts.count) { p in
            results.set(p, embed(tokenIDs: Array(sequences[parts[p]])))
        }
        return results.values.flatMap { $0 }
    }

    /// Contiguous index ranges of about equal total length, at most `parts` of them, none empty.
    static func partition(_ lengths: [Int], into parts: Int) -> [Range<Int>] {
        let total = lengths.reduce(0, +)
        let parts = max(1, min(parts, lengths.count))
        var ranges: [Range<Int>] = []
        var start = 0, running = 0
        for (i, length) in lengths.enumerated() {
            running += length
            // Close the current part once it reaches its share of the tokens.
            if ranges.count < parts - 1, running * parts >= total * (ranges.count + 1) {
                ranges.append(start..<(i + 1))
                start = i + 1
            }
        }
        if start < lengths.count { ranges.append(start..<lengths.count) }
        return ranges
    }
}

/// One slot per concurrent part; each part writes only its own slot.
private final class ResultSlots: @unchecked Sendable {
    private var slots: [[[Float]]]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: [], count: count) }

    func set(_ index: Int, _ value: [[Float]]) { lock.withLock { slots[index] = value } }

    var values: [[[Float]]] { lock.withLock { slots } }
}
