import Foundation
import TowerMath
import TowerModel

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

    /// Encodes a stream of batches with `threads` concurrent encoders, each taking whole batches, and calls
    /// `deliver` with every batch and its embeddings on the calling thread, in the stream's order, while
    /// later batches are still being encoded. Use with `BLAS.setThreads(1)`: one GEMM stream per core
    /// instead of OpenBLAS threads. When `deliver` throws, encoding stops and the error is rethrown.
    public func embed<Batches: Sequence>(batches: Batches, threads: Int,
                                         deliver: ([String], [[Float]]) throws -> Void) throws where Batches.Element == [String] {
        try OrderedPipeline.run(batches, threads: threads, transform: { [self] in embed($0) }, deliver: deliver)
    }
}
