// Row kernels of the 2×2 stride-2 max-pool (forward, and with argmax indices for training). Each has a portable body
// and an AVX-512 copy of the same body (target attribute), chosen at run time.
#include "sn_kernels.h"

#define INLINE static inline __attribute__((always_inline))

INLINE void maxpool_row_body(const float *r0, const float *r1, float *out, long n) {
    for (long i = 0; i < n; i++) {
        float a = r0[2 * i] > r0[2 * i + 1] ? r0[2 * i] : r0[2 * i + 1];
        float b = r1[2 * i] > r1[2 * i + 1] ? r1[2 * i] : r1[2 * i + 1];
        out[i] = a > b ? a : b;
    }
}

__attribute__((target("avx512f"))) static void maxpool_row_avx512(const float *r0, const float *r1, float *out, long n) {
    maxpool_row_body(r0, r1, out, n);
}

static void maxpool_row_generic(const float *r0, const float *r1, float *out, long n) { maxpool_row_body(r0, r1, out, n); }

void sn_maxpool2x2_row(const float *r0, const float *r1, float *out, long n) {
    if (sn_simd_level() >= 2) maxpool_row_avx512(r0, r1, out, n);
    else maxpool_row_generic(r0, r1, out, n);
}

// One output row of a 2×2 stride-2 max-pool with argmax indices (taps in darknet's order, a later tap wins only when
// strictly greater); `i0`, `i1`: flat input indices of r0[0] and r1[0].
INLINE void maxpool_row_indices_body(const float *r0, const float *r1, long i0, long i1, float *out, int *idx, long n) {
    for (long i = 0; i < n; i++) {
        float best = -3.40282347e+38f;
        long bi = -1;
        if (r0[2 * i] > best) { best = r0[2 * i]; bi = i0 + 2 * i; }
        if (r0[2 * i + 1] > best) { best = r0[2 * i + 1]; bi = i0 + 2 * i + 1; }
        if (r1[2 * i] > best) { best = r1[2 * i]; bi = i1 + 2 * i; }
        if (r1[2 * i + 1] > best) { best = r1[2 * i + 1]; bi = i1 + 2 * i + 1; }
        out[i] = best;
        idx[i] = (int)bi;
    }
}

__attribute__((target("avx512f"))) static void maxpool_row_indices_avx512(const float *r0, const float *r1, long i0, long i1,
                                                                           float *out, int *idx, long n) {
    maxpool_row_indices_body(r0, r1, i0, i1, out, idx, n);
}

static void maxpool_row_indices_generic(const float *r0, const float *r1, long i0, long i1, float *out, int *idx, long n) {
    maxpool_row_indices_body(r0, r1, i0, i1, out, idx, n);
}

void sn_maxpool2x2_row_indices(const float *r0, const float *r1, long i0, long i1, float *out, int *idx, long n) {
    if (sn_simd_level() >= 2) maxpool_row_indices_avx512(r0, r1, i0, i1, out, idx, n);
    else maxpool_row_indices_generic(r0, r1, i0, i1, out, idx, n);
}
