import Foundation
import TowerConfig
import TowerMath
import TowerModel
import TowerTextEncoder
import XCTest

/// The numbers stay right under every OpenBLAS kernel Tower may run on this CPU: the test runs its own probe
/// in a child process per kernel (`OPENBLAS_CORETYPE` is read when OpenBLAS loads) and compares the results.
final class KernelNumericsTests: XCTestCase {
    private static let probeOutput = "TOWER_KERNEL_PROBE_OUTPUT"
    private static let probeName = "TowerTextEncoderTests.KernelNumericsTests/testProbeUnderOneKernel"

    func testEncoderAndUserTowerAgreeUnderEveryKernelThisCPURuns() throws {
        let flags = BLASKernel.cpuFlags()
        try XCTSkipIf(flags.isEmpty, "no /proc/cpuinfo: the kernels this CPU runs are unknown")
        // The running kernel is checked in this process (and by MiniLMEncoderTests); the children run every
        // other core Tower may set on this CPU (Prescott, the generic fallback, is never Tower's choice) and
        // the one OpenBLAS chose by itself when Tower replaced it (what runs with TOWER_BLAS_AUTOTUNE=off).
        let kernel = BLASKernel.current, running = kernel.core
        var cores = Array(BLASKernel.supportedCores(cpuFlags: flags).dropFirst())
        if case .tower(let replaced) = kernel.choice, !cores.contains(replaced) { cores.append(replaced) }
        cores.removeAll { $0 == running }
        let expected = Self.userTowerOutputs()
        let children = try cores.map { try ProbeChild(core: $0) }
        for child in children {
            let (status, log, values) = child.finish()
            XCTAssertEqual(status, 0, "probe under \(child.core) failed:\n\(log.suffix(3_000))")
            guard let values else { continue }
            XCTAssertEqual(values.count, expected.count)
            let worst = zip(expected, values).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-5, "user tower outputs under \(child.core) vs \(running)")
        }
    }

    /// This test bundle run again with one test selected, `OPENBLAS_CORETYPE` set and a file for the outputs.
    private struct ProbeChild {
        let core: String
        let process = Process()
        let log = Pipe()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tower-kernel-\(UUID().uuidString).json")

        init(core: String) throws {
            self.core = core
            var environment = ProcessInfo.processInfo.environment
            environment["OPENBLAS_CORETYPE"] = core
            environment["TOWER_BLAS_REPLACED_CORE"] = nil
            environment[KernelNumericsTests.probeOutput] = file.path
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            process.arguments = [KernelNumericsTests.probeName]
            process.environment = environment
            process.standardOutput = log
            process.standardError = log
            try process.run()
        }

        /// Waits; the exit status, the child's output and the user tower's outputs it wrote.
        func finish() -> (Int32, String, [Float]?) {
            let text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            defer { try? FileManager.default.removeItem(at: file) }
            let values = FileManager.default.contents(atPath: file.path).flatMap { try? JSONDecoder().decode([Float].self, from: $0) }
            return (process.terminationStatus, text, values)
        }
    }

    /// Run only as the child of the test above: checks the encoder against the references under the kernel
    /// in OPENBLAS_CORETYPE and writes the user tower's outputs for the parent to compare.
    func testProbeUnderOneKernel() throws {
        guard let output = ProcessInfo.processInfo.environment[Self.probeOutput] else {
            throw XCTSkip("runs as a child of testEncoderAndUserTowerAgreeUnderEveryKernelThisCPURuns")
        }
        let kernel = BLASKernel.current
        XCTAssertEqual(kernel.core, ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], kernel.description)
        XCTAssertEqual(kernel.choice, .user, "Tower must not override OPENBLAS_CORETYPE")

        let encoder = try EncoderFixture.encoder()
        let items = try EncoderFixture.references()
        for (item, v) in zip(items, encoder.embed(items.map(\.text))) {
            XCTAssertGreaterThanOrEqual(VectorOps.cosine(v, item.embedding), 0.9999, "\(kernel.core), item \(item.id)")
        }

        try JSONEncoder().encode(Self.userTowerOutputs()).write(to: URL(fileURLWithPath: output))
    }

    /// A default-sized user tower with random weights on 16 users of 1…20 interactions, outputs concatenated.
    private static func userTowerOutputs() -> [Float] {
        let config = UserTowerConfig(eventNames: EventTypes.default.names)
        var parameters = UserTowerParameters(config: config, seed: 5)
        var rng = SplitMix64(seed: 11)
        for i in parameters.values.indices { parameters.values[i] += 0.05 * rng.nextGaussian() }
        let model = UserTowerModel(parameters: parameters, eventWeights: EventTypes.default.weights, version: "kernels")
        let histories = (0..<16).map { user in
            (0 ..< 1 + user % config.maxHistory).map { i in
                TowerInteraction(productVector: VectorOps.l2Normalized((0..<config.dimension).map { _ in rng.nextGaussian() }),
                                 eventName: EventTypes.default.names[i % 3], ageSeconds: Float(i * 400))
            }
        }
        return model.encode(histories).flatMap { $0 }
    }
}
