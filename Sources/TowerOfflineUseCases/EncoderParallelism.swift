import Foundation
import TowerMath
import TowerModel
import TowerTextEncoder

/// How encoding spreads over the cores.
public enum EncoderParallelism {
    /// Cores available to this process.
    public static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Encodes a stream of batches with one Swift thread per core, each running single-threaded OpenBLAS on
    /// whole batches (faster than OpenBLAS threads on these small GEMMs; see docs/text-encoder.md), and hands
    /// every batch's texts and embeddings to `deliver` on the calling thread, in order.
    public static func embed<Batches: Sequence>(_ encoder: MiniLMEncoder, batches: Batches,
                                                deliver: ([String], [[Float]]) throws -> Void) throws where Batches.Element == [String] {
        BLAS.setThreads(1)
        try encoder.embed(batches: batches, threads: cores, deliver: deliver)
    }
}
