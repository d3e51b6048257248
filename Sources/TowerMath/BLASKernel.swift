import CTowerBLASKernel

/// Which OpenBLAS kernel runs and why. Tower's load-time constructor (module `CTowerBLASKernel`) has already
/// switched a generic kernel to the best one the CPU runs before `main`; this type reports the outcome and
/// holds the decision rules for tests. See docs/blas.md.
public struct BLASKernel: Sendable, Equatable, CustomStringConvertible {
    /// Who chose the running kernel.
    public enum Choice: Sendable, Equatable {
        /// OpenBLAS, by itself, and it is the best the CPU runs (or a kernel Tower does not know).
        case openBLAS
        /// Tower re-executed the process with `OPENBLAS_CORETYPE`, replacing the generic kernel OpenBLAS chose.
        case tower(replaced: String)
        /// The user set `OPENBLAS_CORETYPE`.
        case user
        /// OpenBLAS, with Tower's selection turned off by `TOWER_BLAS_AUTOTUNE=off`.
        case autotuneOff
    }

    /// `openblas_get_corename()`, for example `Haswell`.
    public let core: String
    public let choice: Choice
    /// The best instruction-set tier of this CPU, for example `AVX2+FMA`.
    public let cpu: String
    /// The core Tower would choose when a weaker one runs (user's choice or selection off), else nil.
    public let faster: String?

    /// The kernel of this process.
    public static var current: BLASKernel {
        let core = String(cString: tower_blas_current_core())
        let flags = cpuFlags()
        let faster = betterCore(cpuFlags: flags, chosen: core)
        let choice: Choice
        if let replaced = tower_blas_replaced_core() {
            choice = .tower(replaced: String(cString: replaced))
        } else if tower_blas_coretype_set() != 0 {
            choice = .user
        } else if tower_blas_autotune_disabled() != 0 {
            choice = .autotuneOff
        } else {
            choice = .openBLAS
        }
        return BLASKernel(core: core, choice: choice, cpu: tierName(cpuTier(cpuFlags: flags)), faster: faster)
    }

    /// One line for logs and bench output, e.g. `BLAS kernel Haswell (set by Tower: OpenBLAS chose Prescott); CPU AVX2+FMA`.
    public var description: String {
        let why: String
        switch choice {
        case .openBLAS: why = "chosen by OpenBLAS"
        case .tower(let replaced): why = "set by Tower: OpenBLAS chose \(replaced)"
        case .user: why = "OPENBLAS_CORETYPE set by the user"
        case .autotuneOff: why = "chosen by OpenBLAS; TOWER_BLAS_AUTOTUNE=off"
        }
        let hint = faster.map { "; \($0) would be faster on this CPU" } ?? ""
        return "BLAS kernel \(core) (\(why)); CPU \(cpu)\(hint)"
    }

    // MARK: Decision rules (pure, for tests)

    /// The core to switch to when OpenBLAS chose `chosen` on a CPU with these `/proc/cpuinfo` flags; nil keeps it.
    public static func betterCore(cpuFlags: String, chosen: String) -> String? {
        tower_blas_better_core(cpuFlags, chosen).map { String(cString: $0) }
    }

    /// The best instruction-set tier (0 SSE … 5 AVX-512 FP16) of a CPU with these flags.
    public static func cpuTier(cpuFlags: String) -> Int { Int(tower_blas_cpu_tier(cpuFlags)) }

    /// The tier of an OpenBLAS core name, nil when Tower does not know the name.
    public static func coreTier(_ core: String) -> Int? {
        let tier = tower_blas_core_tier(core)
        return tier >= 0 ? Int(tier) : nil
    }

    /// The cores Tower may run on a CPU with these flags, weakest first: the one it sets for each tier the
    /// CPU runs, from SSE (`Prescott`, the generic fallback) up.
    public static func supportedCores(cpuFlags: String) -> [String] {
        (0...cpuTier(cpuFlags: cpuFlags)).compactMap { tower_blas_tier_core(Int32($0)).map { String(cString: $0) } }
    }

    /// This CPU's `/proc/cpuinfo` flags ("" when unreadable).
    public static func cpuFlags() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        tower_blas_read_cpu_flags(&buffer, Int32(buffer.count))
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func tierName(_ tier: Int) -> String {
        ["SSE", "AVX", "AVX2+FMA", "AVX-512", "AVX-512+BF16", "AVX-512+FP16+AMX"][tier]
    }
}
