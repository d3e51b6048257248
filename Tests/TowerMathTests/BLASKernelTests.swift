import XCTest
@testable import TowerMath

/// The kernel decision as data: CPU flag sets and the core OpenBLAS chose → the core Tower sets.
final class BLASKernelTests: XCTestCase {
    static let sse = "fpu sse sse2 pni ssse3 sse4_1 sse4_2 popcnt"
    static let sandyBridge = sse + " avx"
    /// This project's CI machine, AMD EPYC (Zen 3, family 25 model 1).
    static let zen3 = sandyBridge + " fma avx2 bmi1 bmi2 vaes vpclmulqdq"
    static let skylakeX = zen3 + " avx512f avx512dq avx512cd avx512bw avx512vl"
    static let zen4 = skylakeX + " avx512ifma avx512vbmi avx512_bf16 avx512_vnni"
    /// AMD EPYC Zen 5 (family 26 model 2): OpenBLAS 0.3.21 does not know the family and chooses `Haswell`,
    /// whose SGEMM runs at half the rate of `SkylakeX`/`Cooperlake` there (docs/blas.md).
    static let zen5 = zen4 + " avx_vnni avx512_vbmi2 avx512_bitalg avx512_vpopcntdq avx512_vp2intersect"
    /// The Intel Xeon of the issue (family 6, model 207).
    static let xeon207 = zen4 + " amx_bf16 avx512_fp16 amx_tile amx_int8"

    func testGenericKernelIsReplacedByTheBestTheCPURuns() {
        let cases: [(flags: String, chosen: String, want: String?)] = [
            (Self.xeon207, "Prescott", "SapphireRapids"),
            (Self.zen4, "Prescott", "Cooperlake"),
            (Self.zen4, "Zen", "Cooperlake"),
            (Self.zen5, "Haswell", "Cooperlake"),
            (Self.skylakeX, "Prescott", "SkylakeX"),
            (Self.skylakeX, "Haswell", "SkylakeX"),
            (Self.zen3, "Prescott", "Haswell"),
            (Self.zen3, "Nehalem", "Haswell"),
            (Self.sandyBridge, "Core2", "Sandybridge"),
        ]
        for c in cases {
            XCTAssertEqual(BLASKernel.betterCore(cpuFlags: c.flags, chosen: c.chosen), c.want, "\(c.chosen) on \(c.flags)")
        }
    }

    func testAGoodOrUnknownKernelIsKept() {
        let cases: [(flags: String, chosen: String)] = [
            (Self.zen3, "Zen"), (Self.zen3, "Haswell"), (Self.zen3, "HASWELL"), (Self.skylakeX, "SkylakeX"),
            (Self.zen4, "Cooperlake"), (Self.xeon207, "SapphireRapids"), (Self.sandyBridge, "Sandybridge"),
            (Self.sse, "Prescott"), (Self.xeon207, "FutureLake"), ("", "Prescott"),
            // A stronger kernel than the CPU's flags show (the user forced it) is not Tower's business.
            (Self.zen3, "SkylakeX"),
        ]
        for c in cases {
            XCTAssertNil(BLASKernel.betterCore(cpuFlags: c.flags, chosen: c.chosen), "\(c.chosen) on \(c.flags)")
        }
    }

    func testFlagsAreWholeWordsAndTiersNeedEveryFeature() {
        // avx512_bf16 without avx512f, avx2 without fma, fma without avx: each counts for nothing more.
        XCTAssertEqual(BLASKernel.cpuTier(cpuFlags: Self.zen3 + " avx512_bf16 avx512bw avx512vl avx512dq avx512cd"), 2)
        XCTAssertEqual(BLASKernel.cpuTier(cpuFlags: Self.sandyBridge + " avx2"), 1)
        XCTAssertEqual(BLASKernel.cpuTier(cpuFlags: Self.sse + " fma avx2"), 0)
        XCTAssertEqual(BLASKernel.cpuTier(cpuFlags: "avx512f\tavx avx2 fma avx512dq avx512cd avx512bw avx512vl\n"), 3)
        XCTAssertEqual(BLASKernel.cpuTier(cpuFlags: Self.xeon207), 5)
    }

    func testSupportedCoresClimbTheTiers() {
        XCTAssertEqual(BLASKernel.supportedCores(cpuFlags: Self.zen3), ["Prescott", "Sandybridge", "Haswell"])
        XCTAssertEqual(BLASKernel.supportedCores(cpuFlags: Self.sse), ["Prescott"])
        XCTAssertEqual(BLASKernel.supportedCores(cpuFlags: Self.xeon207).last, "SapphireRapids")
        XCTAssertEqual(BLASKernel.coreTier("Zen"), 2)
        XCTAssertNil(BLASKernel.coreTier("FutureLake"))
    }

    func testDescriptionSaysWhoChose() {
        let tower = BLASKernel(core: "SapphireRapids", choice: .tower(replaced: "Prescott"), cpu: "AVX-512+FP16+AMX", faster: nil)
        XCTAssertEqual(tower.description, "BLAS kernel SapphireRapids (set by Tower: OpenBLAS chose Prescott); CPU AVX-512+FP16+AMX")
        let user = BLASKernel(core: "Prescott", choice: .user, cpu: "AVX2+FMA", faster: "Haswell")
        XCTAssertEqual(user.description, "BLAS kernel Prescott (OPENBLAS_CORETYPE set by the user); CPU AVX2+FMA; Haswell would be faster on this CPU")
    }

    /// On the real machine: unless the user chose, the running kernel is as good as the CPU allows.
    func testRunningKernelIsTheBestThisCPURuns() throws {
        let kernel = BLASKernel.current
        let flags = BLASKernel.cpuFlags()
        try XCTSkipIf(flags.isEmpty, "no /proc/cpuinfo")
        switch kernel.choice {
        case .openBLAS, .tower:
            XCTAssertNil(kernel.faster, kernel.description)
            if let tier = BLASKernel.coreTier(kernel.core) { XCTAssertGreaterThanOrEqual(tier, BLASKernel.cpuTier(cpuFlags: flags), kernel.description) }
        case .user, .autotuneOff:
            XCTAssertEqual(kernel.faster, BLASKernel.betterCore(cpuFlags: flags, chosen: kernel.core))
        }
    }
}
