#ifndef SN_KERNELS_H
#define SN_KERNELS_H

/// The activations with wide-vector kernels (AVX-512 or AVX2+FMA, chosen at run time from the CPU).
enum sn_activation { SN_MISH = 0, SN_SWISH = 1, SN_LOGISTIC = 2 };

/// The widest instruction set the kernels use on this CPU: 2 AVX-512, 1 AVX2 with FMA, 0 none (callers fall back).
int sn_simd_level(void);

/// y[i] = f(x[i]) for i < n; returns 0 when this CPU has no wide kernel (nothing written).
int sn_activation_forward(int kind, const float *x, float *y, long n);

/// out[i] = delta[i] * f'(x[i]) for i < n; returns 0 when this CPU has no wide kernel.
int sn_activation_backward(int kind, const float *x, const float *delta, float *out, long n);

/// Bounds the C allocator of a long-running process (glibc: at most `arenas` malloc arenas and a fixed mmap
/// threshold of `mmap_threshold` bytes); returns 1 when applied, 0 where the C library has no such settings.
int sn_bound_allocator(int arenas, int mmap_threshold);

/// Winograd F(4×4, 3×3): floats of per-call row scratch the input and output transforms need for `tilesW` tiles a row.
long sn_winograd_rows_count(long tilesW);

/// Input transform of channels [c0, c1) and tile rows [ty0, ty1) of a `H×W` image (channel c at `in + c·H·W`) with
/// zero padding `pad`: V[ξ·xiStride + c·ldv + (ty−ty0)·tilesW + tx] for ξ < 36.
void sn_winograd_input(const float *in, long H, long W, long pad, long tilesW, long ty0, long ty1, long c0, long c1,
                       float *V, long ldv, long xiStride, float *rows);

/// Output transform of filters [m0, m1) and tile rows [ty0, ty1) from M[ξ·xiStride + m·ldm + (ty−ty0)·tilesW + tx],
/// plus `bias[m]` (may be NULL), into the `OH×OW` planes at `out + m·OH·OW` (added to them when `accumulate`).
void sn_winograd_output(const float *Mx, long ldm, long xiStride, long tilesW, long ty0, long ty1, long m0, long m1,
                        long OH, long OW, const float *bias, int accumulate, float *out, float *rows);

/// Transformed 3×3 kernels of filters [m0, m1) of `M` filters of `C` channels: U[ξ][m][c] = (G·w[m][c]·Gᵀ)[ξ];
/// `flipped` gives the kernels of the input-delta convolution instead, U[ξ][c][m] from w[m][c] turned by 180°.
void sn_winograd_weights(const float *w, long M, long C, long m0, long m1, int flipped, float *U);

/// out[i] = max(r0[2i], r0[2i+1], r1[2i], r1[2i+1]) for i < n (one output row of a 2×2 stride-2 max-pool).
void sn_maxpool2x2_row(const float *r0, const float *r1, float *out, long n);

/// The same row with the argmax's flat input index in `idx` (`i0`, `i1`: the indices of r0[0] and r1[0]); taps in
/// darknet's order, a later one winning only when strictly greater.
void sn_maxpool2x2_row_indices(const float *r0, const float *r1, long i0, long i1, float *out, int *idx, long n);

#endif
