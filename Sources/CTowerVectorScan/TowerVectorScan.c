#include "TowerVectorScan.h"

#if defined(__x86_64__) && defined(__ELF__)
#define TOWER_X86 1
#include <immintrin.h>

/// Whether the CPU (and the operating system, which `__builtin_cpu_supports` checks too) runs AVX-512 VNNI.
static int tower_has_vnni(void) {
    static int known = -1;  // a benign race: every thread computes the same answer
    int has = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (has < 0) {
        __builtin_cpu_init();
        has = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
        __atomic_store_n(&known, has, __ATOMIC_RELAXED);
    }
    return has;
}
#endif

#ifdef TOWER_X86
__attribute__((target_clones("avx512bw", "avx2", "default")))
#endif
static void scan_i8_portable(const int8_t *codes, int32_t dim, int64_t rows, const int8_t *query, int32_t *out) {
    for (int64_t r = 0; r < rows; r++) {
        const int8_t *c = codes + r * dim;
        int32_t sum = 0;
        for (int32_t i = 0; i < dim; i++) sum += (int32_t)c[i] * (int32_t)query[i];
        out[r] = sum;
    }
}

#ifdef TOWER_X86
/// AVX-512 VNNI, for a `dim` of whole 64-byte blocks: `vpdpbusd` of |query| (unsigned) with the codes negated where the
/// query is negative (codes and query in [-127, 127]: the sign moves without overflow).
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void scan_i8_vnni(const int8_t *codes, int32_t dim, int64_t rows, const int8_t *query, int32_t *out) {
    int32_t blocks = dim / 64;
    const __m512i zero = _mm512_setzero_si512();
    for (int64_t r = 0; r < rows; r++) {
        const int8_t *c = codes + r * dim;
        __m512i acc = zero;
        for (int32_t b = 0; b < blocks; b++) {
            __m512i q = _mm512_loadu_si512(query + 64 * b), x = _mm512_loadu_si512(c + 64 * b);
            acc = _mm512_dpbusd_epi32(acc, _mm512_abs_epi8(q), _mm512_mask_sub_epi8(x, _mm512_movepi8_mask(q), zero, x));
        }
        out[r] = _mm512_reduce_add_epi32(acc);
    }
}
#endif

void tower_scan_i8(const int8_t *codes, int32_t dim, int64_t rows, const int8_t *query, int32_t *out) {
#ifdef TOWER_X86
    if (dim % 64 == 0 && tower_has_vnni()) return scan_i8_vnni(codes, dim, rows, query, out);
#endif
    scan_i8_portable(codes, dim, rows, query, out);
}

int32_t tower_i4_bytes(int32_t dim) { return (dim + 127) / 128 * 64; }

void tower_pack_i4(const int8_t *codes, int32_t dim, uint8_t *out) {
    int32_t bytes = tower_i4_bytes(dim);
    for (int32_t b = 0; b < bytes; b++) {
        int32_t low = b / 64 * 128 + b % 64, high = low + 64;
        uint8_t lo = (uint8_t)((low < dim ? codes[low] : 0) + 8), hi = (uint8_t)((high < dim ? codes[high] : 0) + 8);
        out[b] = (uint8_t)(lo | (hi << 4));
    }
}

/// The query padded with zeros to whole 128-component chunks, and its sum (the nibbles' +8 offset costs 8 · Σ query).
static int32_t pad_query(const int8_t *query, int32_t dim, int8_t *padded) {
    int32_t sum = 0, length = tower_i4_bytes(dim) * 2;
    for (int32_t i = 0; i < length; i++) {
        padded[i] = i < dim ? query[i] : 0;
        sum += padded[i];
    }
    return sum;
}

#define TOWER_KEEP(r, dot)                                   \
    do {                                                     \
        float e = scales[r] * (float)(dot);                  \
        if (e > threshold) { indices[kept] = (r); estimates[kept++] = e; } \
    } while (0)

static int64_t scan_i4_portable(const uint8_t *codes, int32_t dim, int64_t rows, const int8_t *q, int32_t offset,
                                const float *scales, float threshold, int64_t *indices, float *estimates) {
    int32_t bytes = tower_i4_bytes(dim);
    int64_t kept = 0;
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *c = codes + r * bytes;
        int32_t dot = 0;
        for (int32_t b = 0; b < bytes; b++) {
            int32_t low = b / 64 * 128 + b % 64;
            dot += (int32_t)(c[b] & 15) * q[low] + (int32_t)(c[b] >> 4) * q[low + 64];
        }
        TOWER_KEEP(r, dot - offset);
    }
    return kept;
}

#ifdef TOWER_X86
/// AVX-512 VNNI: per 64 bytes, two `vpdpbusd` of the nibbles (unsigned) with the query's bytes (signed).
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static int64_t scan_i4_vnni(const uint8_t *codes, int32_t dim, int64_t rows, const int8_t *q, int32_t offset,
                            const float *scales, float threshold, int64_t *indices, float *estimates) {
    int32_t chunks = tower_i4_bytes(dim) / 64;
    const __m512i mask = _mm512_set1_epi8(0x0f);
    int64_t kept = 0;
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *c = codes + r * chunks * 64;
        __m512i acc = _mm512_setzero_si512();
        if (r + 16 < rows) _mm_prefetch((const char *)(c + 16 * chunks * 64), _MM_HINT_T0);  // a list's rows lie in line
        for (int32_t k = 0; k < chunks; k++) {
            __m512i x = _mm512_loadu_si512(c + 64 * k);
            acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(x, mask), _mm512_loadu_si512(q + 128 * k));
            acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(_mm512_srli_epi16(x, 4), mask), _mm512_loadu_si512(q + 128 * k + 64));
        }
        TOWER_KEEP(r, _mm512_reduce_add_epi32(acc) - offset);
    }
    return kept;
}

/// AVX2: `vpmaddubsw` of the nibbles with the query's bytes (at most 2 · 15 · 127 per pair: no saturation).
__attribute__((target("avx2")))
static int64_t scan_i4_avx2(const uint8_t *codes, int32_t dim, int64_t rows, const int8_t *q, int32_t offset,
                            const float *scales, float threshold, int64_t *indices, float *estimates) {
    int32_t chunks = tower_i4_bytes(dim) / 64;
    const __m256i mask = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi16(1);
    int64_t kept = 0;
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *c = codes + r * chunks * 64;
        __m256i acc = _mm256_setzero_si256();
        for (int32_t k = 0; k < chunks * 2; k++) {  // 32 bytes: components 128·(k/2) + 32·(k%2) + j, and + 64
            __m256i x = _mm256_loadu_si256((const __m256i *)(c + 32 * k));
            const int8_t *qk = q + 128 * (k / 2) + 32 * (k % 2);
            __m256i lo = _mm256_maddubs_epi16(_mm256_and_si256(x, mask), _mm256_loadu_si256((const __m256i *)qk));
            __m256i hi = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(x, 4), mask),
                                              _mm256_loadu_si256((const __m256i *)(qk + 64)));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_add_epi16(lo, hi), ones));
        }
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
        TOWER_KEEP(r, _mm_cvtsi128_si32(s) - offset);
    }
    return kept;
}
#endif

typedef int64_t (*scan_i4_fn)(const uint8_t *, int32_t, int64_t, const int8_t *, int32_t, const float *, float, int64_t *,
                              float *);

/// Runs `scan` with the query padded to whole chunks.
static int64_t run_i4(scan_i4_fn scan, const uint8_t *codes, int32_t dim, int64_t rows, const int8_t *query,
                      const float *scales, float threshold, int64_t *indices, float *estimates) {
    if (dim <= 0 || rows <= 0) return 0;
    int8_t padded[tower_i4_bytes(dim) * 2];
    int32_t offset = 8 * pad_query(query, dim, padded);
    return scan(codes, dim, rows, padded, offset, scales, threshold, indices, estimates);
}

/// The int4 scan this CPU runs best.
static scan_i4_fn scan_i4_best(void) {
#ifdef TOWER_X86
    if (tower_has_vnni()) return scan_i4_vnni;
    if (__builtin_cpu_supports("avx2")) return scan_i4_avx2;
#endif
    return scan_i4_portable;
}

const char *tower_scan_kernel(void) {
    scan_i4_fn best = scan_i4_best();
#ifdef TOWER_X86
    if (best == scan_i4_vnni) return "AVX-512 VNNI";
    if (best == scan_i4_avx2) return "AVX2";
#endif
    return "portable";
}

int64_t tower_scan_i4_variant(int32_t variant, const uint8_t *codes, int32_t dim, int64_t rows, const int8_t *query,
                              const float *scales, float threshold, int64_t *indices, float *estimates) {
    scan_i4_fn scan = scan_i4_portable;
#ifdef TOWER_X86
    if (variant == 1) {
        if (!__builtin_cpu_supports("avx2")) return -1;
        scan = scan_i4_avx2;
    } else if (variant == 2) {
        if (!tower_has_vnni()) return -1;
        scan = scan_i4_vnni;
    }
#else
    if (variant != 0) return -1;
#endif
    return run_i4(scan, codes, dim, rows, query, scales, threshold, indices, estimates);
}

int64_t tower_scan_i4(const uint8_t *codes, int32_t dim, int64_t rows, const int8_t *query, const float *scales,
                      float threshold, int64_t *indices, float *estimates) {
    return run_i4(scan_i4_best(), codes, dim, rows, query, scales, threshold, indices, estimates);
}
