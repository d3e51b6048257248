import Foundation
import TowerMath
import TowerModel

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

    /// Embeds one batch with one Swift thread per core, each running single-threaded OpenBLAS on its
    /// share of the sequences (faster than OpenBLAS threads on these small GEMMs; see docs/text-encoder.md).
    static func embed(_ encoder: MiniLMEncoder, _ texts: [String]) -> [[Float]] {
        BLAS.setThreads(1)
        return encoder.embed(texts, threads: cores)
    }
}
