// Winograd F(4×4, 3×3) transforms (Lavin & Gray, interpolation points 0, ±1, ±2, ∞). The element-wise products
// between transformed tiles are 36 GEMMs done by BLAS; these are the transforms around them. Each function has a
// portable body and an AVX-512 copy of the same body (target attribute), chosen at run time.
#include "sn_kernels.h"
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

// Bᵀ·d for six values (one column or row of a 6×6 input tile).
#define BT6(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5) do { \
    o0 = 4.0f * d0 - 5.0f * d2 + d4;                                  \
    o1 = -4.0f * (d1 + d2) + d3 + d4;                                 \
    o2 = 4.0f * (d1 - d2) - d3 + d4;                                  \
    o3 = 2.0f * (d3 - d1) - d2 + d4;                                  \
    o4 = 2.0f * (d1 - d3) - d2 + d4;                                  \
    o5 = 4.0f * d1 - 5.0f * d3 + d5;                                  \
} while (0)

// Aᵀ·m for six values (4 outputs).
#define AT6(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3) do {               \
    float p12 = m1 + m2, n12 = m1 - m2, p34 = m3 + m4, n34 = m3 - m4; \
    o0 = m0 + p12 + p34;                                               \
    o1 = n12 + 2.0f * n34;                                             \
    o2 = p12 + 4.0f * p34;                                             \
    o3 = n12 + 8.0f * n34 + m5;                                        \
} while (0)

INLINE void input_body(const float *in, long H, long W, long pad, long tilesW, long ty0, long ty1, long c0, long c1,
                       float *V, long ldv, long xiStride, float *rows) {
    const long Wp = 4 * tilesW + 2;
    float *d = rows, *t = rows + 6 * Wp;
    for (long c = c0; c < c1; c++) {
        const float *src = in + c * H * W;
        for (long ty = ty0; ty < ty1; ty++) {
            // Six padded input rows of this tile row (zeros outside the image).
            for (long j = 0; j < 6; j++) {
                float *dj = d + j * Wp;
                long iy = 4 * ty - pad + j;
                if (iy < 0 || iy >= H) { memset(dj, 0, sizeof(float) * Wp); continue; }
                // Wp = 4·tilesW + 2 ≥ outWidth + 2 = W + 2·pad, so the whole row fits.
                if (pad > 0) memset(dj, 0, sizeof(float) * pad);
                memcpy(dj + pad, src + iy * W, sizeof(float) * W);
                if (pad + W < Wp) memset(dj + pad + W, 0, sizeof(float) * (Wp - pad - W));
            }
            // Bᵀ·d down the columns, all columns at once.
            for (long x = 0; x < Wp; x++) {
                float a0 = d[x], a1 = d[Wp + x], a2 = d[2 * Wp + x], a3 = d[3 * Wp + x], a4 = d[4 * Wp + x], a5 = d[5 * Wp + x];
                BT6(a0, a1, a2, a3, a4, a5, t[x], t[Wp + x], t[2 * Wp + x], t[3 * Wp + x], t[4 * Wp + x], t[5 * Wp + x]);
            }
            // (Bᵀ·d)·B along each tile's six columns; ξ = 6·i + k.
            float *base = V + c * ldv + (ty - ty0) * tilesW;
            for (long i = 0; i < 6; i++) {
                const float *ti = t + i * Wp;
                float *o = base + 6 * i * xiStride;
                for (long tx = 0; tx < tilesW; tx++) {
                    const float *r = ti + 4 * tx;
                    float v0, v1, v2, v3, v4, v5;
                    BT6(r[0], r[1], r[2], r[3], r[4], r[5], v0, v1, v2, v3, v4, v5);
                    o[tx] = v0;
                    o[xiStride + tx] = v1;
                    o[2 * xiStride + tx] = v2;
                    o[3 * xiStride + tx] = v3;
                    o[4 * xiStride + tx] = v4;
                    o[5 * xiStride + tx] = v5;
                }
            }
        }
    }
}

INLINE void output_body(const float *Mx, long ldm, long xiStride, long tilesW, long ty0, long ty1, long m0, long m1,
                        long OH, long OW, const float *bias, int accumulate, float *out, float *rows) {
    const long Wq = 4 * tilesW;
    float *s = rows;               // 6 rows × Wq: Aᵀ applied along each tile's columns
    float *y = rows + 6 * Wq;      // 4 output rows × Wq
    for (long m = m0; m < m1; m++) {
        const float b = bias ? bias[m] : 0.0f;
        for (long ty = ty0; ty < ty1; ty++) {
            const float *base = Mx + m * ldm + (ty - ty0) * tilesW;
            for (long i = 0; i < 6; i++) {
                const float *q = base + 6 * i * xiStride;
                float *si = s + i * Wq;
                for (long tx = 0; tx < tilesW; tx++) {
                    float o0, o1, o2, o3;
                    AT6(q[tx], q[xiStride + tx], q[2 * xiStride + tx], q[3 * xiStride + tx], q[4 * xiStride + tx],
                        q[5 * xiStride + tx], o0, o1, o2, o3);
                    si[4 * tx] = o0;
                    si[4 * tx + 1] = o1;
                    si[4 * tx + 2] = o2;
                    si[4 * tx + 3] = o3;
                }
            }
            for (long x = 0; x < Wq; x++) {
                float o0, o1, o2, o3;
                AT6(s[x], s[Wq + x], s[2 * Wq + x], s[3 * Wq + x], s[4 * Wq + x], s[5 * Wq + x], o0, o1, o2, o3);
                y[x] = o0 + b;
                y[Wq + x] = o1 + b;
                y[2 * Wq + x] = o2 + b;
                y[3 * Wq + x] = o3 + b;
            }
            float *dst = out + m * OH * OW;
            for (long k = 0; k < 4; k++) {
                long oy = 4 * ty + k;
                if (oy >= OH) break;
                if (accumulate) {
                    float *d = dst + oy * OW;
                    const float *src = y + k * Wq;
                    for (long x = 0; x < OW; x++) d[x] += src[x];
                } else {
                    memcpy(dst + oy * OW, y + k * Wq, sizeof(float) * OW);
                }
            }
        }
    }
}

__attribute__((target("avx512f"))) static void input_avx512(const float *in, long H, long W, long pad, long tilesW, long ty0,
                                                             long ty1, long c0, long c1, float *V, long ldv, long xiStride, float *rows) {
    input_body(in, H, W, pad, tilesW, ty0, ty1, c0, c1, V, ldv, xiStride, rows);
}

static void input_generic(const float *in, long H, long W, long pad, long tilesW, long ty0, long ty1, long c0, long c1,
                          float *V, long ldv, long xiStride, float *rows) {
    input_body(in, H, W, pad, tilesW, ty0, ty1, c0, c1, V, ldv, xiStride, rows);
}

__attribute__((target("avx512f"))) static void output_avx512(const float *Mx, long ldm, long xiStride, long tilesW, long ty0,
                                                              long ty1, long m0, long m1, long OH, long OW, const float *bias,
                                                              int accumulate, float *out, float *rows) {
    output_body(Mx, ldm, xiStride, tilesW, ty0, ty1, m0, m1, OH, OW, bias, accumulate, out, rows);
}

static void output_generic(const float *Mx, long ldm, long xiStride, long tilesW, long ty0, long ty1, long m0, long m1,
                           long OH, long OW, const float *bias, int accumulate, float *out, float *rows) {
    output_body(Mx, ldm, xiStride, tilesW, ty0, ty1, m0, m1, OH, OW, bias, accumulate, out, rows);
}

long sn_winograd_rows_count(long tilesW) { return 12 * (4 * tilesW + 2); }

void sn_winograd_input(const float *in, long H, long W, long pad, long tilesW, long ty0, long ty1, long c0, long c1,
                       float *V, long ldv, long xiStride, float *rows) {
    if (sn_simd_level() >= 2) input_avx512(in, H, W, pad, tilesW, ty0, ty1, c0, c1, V, ldv, xiStride, rows);
    else input_generic(in, H, W, pad, tilesW, ty0, ty1, c0, c1, V, ldv, xiStride, rows);
}

void sn_winograd_output(const float *Mx, long ldm, long xiStride, long tilesW, long ty0, long ty1, long m0, long m1,
                        long OH, long OW, const float *bias, int accumulate, float *out, float *rows) {
    if (sn_simd_level() >= 2) output_avx512(Mx, ldm, xiStride, tilesW, ty0, ty1, m0, m1, OH, OW, bias, accumulate, out, rows);
    else output_generic(Mx, ldm, xiStride, tilesW, ty0, ty1, m0, m1, OH, OW, bias, accumulate, out, rows);
}

// G·g·Gᵀ for one 3×3 kernel g (row-major), G = [1/4 0 0; −1/6 −1/6 −1/6; −1/6 1/6 −1/6; 1/24 1/12 1/6; 1/24 −1/12 1/6; 0 0 1].
#define G3(g0, g1, g2, o0, o1, o2, o3, o4, o5) do {                  \
    o0 = 0.25f * g0;                                                  \
    o1 = -(g0 + g1 + g2) * (1.0f / 6);                               \
    o2 = -(g0 - g1 + g2) * (1.0f / 6);                               \
    o3 = g0 * (1.0f / 24) + g1 * (1.0f / 12) + g2 * (1.0f / 6);       \
    o4 = g0 * (1.0f / 24) - g1 * (1.0f / 12) + g2 * (1.0f / 6);       \
    o5 = g2;                                                          \
} while (0)

INLINE void weights_body(const float *w, long M, long C, long m0, long m1, int flipped, float *U) {
    // Plain: U[ξ][m][c] from w[m][c]. Flipped (the input-delta convolution): U[ξ][c][m] from w[m][c] turned by 180°.
    const long plane = M * C;
    for (long m = m0; m < m1; m++) {
        for (long c = 0; c < C; c++) {
            const float *k = w + (m * C + c) * 9;
            float g[9];
            for (int j = 0; j < 9; j++) g[j] = flipped ? k[8 - j] : k[j];
            float t[6][3];
            for (int j = 0; j < 3; j++) G3(g[j], g[3 + j], g[6 + j], t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]);
            float *u = U + (flipped ? c * M + m : m * C + c);
            for (int i = 0; i < 6; i++) {
                float o0, o1, o2, o3, o4, o5;
                G3(t[i][0], t[i][1], t[i][2], o0, o1, o2, o3, o4, o5);
                u[(6 * i) * plane] = o0;
                u[(6 * i + 1) * plane] = o1;
                u[(6 * i + 2) * plane] = o2;
                u[(6 * i + 3) * plane] = o3;
                u[(6 * i + 4) * plane] = o4;
                u[(6 * i + 5) * plane] = o5;
            }
        }
    }
}

__attribute__((target("avx512f"))) static void weights_avx512(const float *w, long M, long C, long m0, long m1, int flipped,
                                                               float *U) {
    weights_body(w, M, C, m0, m1, flipped, U);
}

static void weights_generic(const float *w, long M, long C, long m0, long m1, int flipped, float *U) {
    weights_body(w, M, C, m0, m1, flipped, U);
}

void sn_winograd_weights(const float *w, long M, long C, long m0, long m1, int flipped, float *U) {
    if (sn_simd_level() >= 2) weights_avx512(w, M, C, m0, m1, flipped, U);
    else weights_generic(w, M, C, m0, m1, flipped, U);
}
