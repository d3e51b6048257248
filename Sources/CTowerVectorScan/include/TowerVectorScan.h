#ifndef TOWER_VECTOR_SCAN_H
#define TOWER_VECTOR_SCAN_H

#include <stdint.h>

/// The ranking library's one numeric kernel: the dot products of a query with int8-quantised product vectors stored one
/// after another (`dim` codes each), `out[r] = Σ codes[r·dim + i] · query[i]`. A byte per component keeps the scan of a
/// catalog snapshot's lists within memory bandwidth; on x86-64 the compiler emits AVX-512, AVX2 and baseline versions
/// and the loader picks the best one the CPU runs (no BLAS, no flags the CPU might lack).
void tower_scan_i8(const int8_t *codes, int32_t dim, int64_t rows, const int8_t *query, int32_t *out);

#endif
