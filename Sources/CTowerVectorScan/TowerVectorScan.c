#include "TowerVectorScan.h"

#if defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("avx512bw", "avx2", "default")))
#endif
void tower_scan_i8(const int8_t *codes, int32_t dim, int64_t rows, const int8_t *query, int32_t *out) {
    for (int64_t r = 0; r < rows; r++) {
        const int8_t *c = codes + r * dim;
        int32_t sum = 0;
        for (int32_t i = 0; i < dim; i++) sum += (int32_t)c[i] * (int32_t)query[i];
        out[r] = sum;
    }
}
