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

#endif
