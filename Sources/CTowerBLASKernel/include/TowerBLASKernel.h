#ifndef TOWER_BLAS_KERNEL_H
#define TOWER_BLAS_KERNEL_H

/// OpenBLAS kernel selection at load time (see docs/blas.md).
///
/// A DYNAMIC_ARCH OpenBLAS picks its kernels when the library loads; a release that does not know the CPU
/// falls back to generic SSE3 (`Prescott`) kernels. A load-time constructor in this module compares the
/// kernel OpenBLAS chose with the best instruction set the CPU offers and, when the chosen one is weaker,
/// re-executes the process once with `OPENBLAS_CORETYPE` set — before `main`, so before any BLAS call.
/// It never overrides `OPENBLAS_CORETYPE` set by the user and is off with `TOWER_BLAS_AUTOTUNE=off`.

/// Instruction-set tiers, weakest first.
enum {
    TOWER_BLAS_TIER_SSE = 0,
    TOWER_BLAS_TIER_AVX = 1,
    TOWER_BLAS_TIER_AVX2 = 2,
    TOWER_BLAS_TIER_AVX512 = 3,
    TOWER_BLAS_TIER_AVX512_BF16 = 4,
    TOWER_BLAS_TIER_AVX512_FP16 = 5,
};

/// The best tier a CPU with these `/proc/cpuinfo` flags (space separated) runs.
int tower_blas_cpu_tier(const char *flags);

/// The tier of an OpenBLAS core name (`openblas_get_corename()`), or -1 for a name Tower does not know.
int tower_blas_core_tier(const char *core);

/// The OpenBLAS core Tower uses for a tier: Prescott, Sandybridge, Haswell, SkylakeX, Cooperlake, SapphireRapids.
const char *tower_blas_tier_core(int tier);

/// The core to switch to when OpenBLAS chose `core` on a CPU with `flags`, or NULL to keep it
/// (the chosen kernel is as good as the CPU allows, or its name is unknown).
const char *tower_blas_better_core(const char *flags, const char *core);

/// The `flags` line of /proc/cpuinfo for the first CPU, written into `buffer` ("" when unreadable).
void tower_blas_read_cpu_flags(char *buffer, int size);

/// True when `TOWER_BLAS_AUTOTUNE` turns selection off (off, 0, false, no).
int tower_blas_autotune_disabled(void);

/// The name of the core OpenBLAS chose by itself before Tower re-executed the process, or NULL when
/// Tower did not (the loop guard, kept in `TOWER_BLAS_REPLACED_CORE`).
const char *tower_blas_replaced_core(void);

/// True when `OPENBLAS_CORETYPE` is set.
int tower_blas_coretype_set(void);

/// `openblas_get_corename()`.
const char *tower_blas_current_core(void);

#endif
