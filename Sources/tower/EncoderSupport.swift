import Foundation
import TowerConfig
import TowerMath
import TowerTextEncoder

extension GlobalOptions {
    /// The MiniLM encoder from TOWER_ENCODER_DIR (error names `deploy/local.sh models` when missing).
    func loadEncoder() throws -> MiniLMEncoder {
        try MiniLMEncoder(directory: settings().encoderDirectory)
    }
}

/// How a command spreads encoding over the cores.
enum EncoderParallelism {
    /// Cores available to this process.
    static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Encodes a stream of batches with one Swift thread per core, each running single-threaded OpenBLAS on
    /// whole batches (faster than OpenBLAS threads on these small GEMMs; see docs/text-encoder.md), and hands
    /// every batch's texts and embeddings to `deliver` on the calling thread, in order.
    static func embed<Batches: Sequence>(_ encoder: MiniLMEncoder, batches: Batches,
                                         deliver: ([String], [[Float]]) throws -> Void) throws where Batches.Element == [String] {
        BLAS.setThreads(1)
        try encoder.embed(batches: batches, threads: cores, deliver: deliver)
    }
}
