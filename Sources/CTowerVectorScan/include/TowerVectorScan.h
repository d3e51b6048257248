#ifndef TOWER_VECTOR_SCAN_H
#define TOWER_VECTOR_SCAN_H

#include <stdint.h>

/// The ranking library's numeric kernels, for the catalog snapshot's scans (no BLAS: byte codes and integer dot
/// products). On x86-64 each has AVX-512 (VNNI) and AVX2 versions besides the portable one, chosen once from what the
/// CPU and the operating system support.

/// The dot products of a query with int8 codes stored one vector after another (`dim` codes each):
/// `out[r] = Σ codes[r·dim + i] · query[i]`. Codes and query in [-127, 127].
void tower_scan_i8(const int8_t *codes, int32_t dim, int64_t rows, const int8_t *query, int32_t *out);

/// Bytes per vector of `dim` int4 codes packed by `tower_pack_i4`: `dim` rounded up to a multiple of 128, halved.
int32_t tower_i4_bytes(int32_t dim);

/// Packs `dim` codes in [-7, 7] into `tower_i4_bytes(dim)` bytes: code + 8 as a nibble; byte `64·k + j` holds
/// component `128·k + j` in its low nibble and `128·k + 64 + j` in its high one (padding holds 0).
void tower_pack_i4(const int8_t *codes, int32_t dim, uint8_t *out);

/// Scans `rows` packed int4 vectors (`tower_i4_bytes(dim)` bytes each) against `query` (`dim` int8 codes in
/// [-127, 127]): the estimate of row `r` is `scales[r] · Σ code[r][i] · query[i]`. Writes the rows whose estimate
/// exceeds `threshold` to `indices` (relative to the first row) and their estimates to `estimates`, in row order;
/// returns how many (at most `rows`; none when `dim` is not positive).
int64_t tower_scan_i4(const uint8_t *codes, int32_t dim, int64_t rows, const int8_t *query, const float *scales,
                      float threshold, int64_t *indices, float *estimates);

/// `tower_scan_i4` through one implementation: 0 portable, 1 AVX2, 2 AVX-512 VNNI; -1 when this CPU lacks it (tests
/// compare them).
int64_t tower_scan_i4_variant(int32_t variant, const uint8_t *codes, int32_t dim, int64_t rows, const int8_t *query,
                              const float *scales, float threshold, int64_t *indices, float *estimates);

/// The implementation `tower_scan_i4` runs on this CPU: "AVX-512 VNNI", "AVX2" or "portable".
const char *tower_scan_kernel(void);

#endif
