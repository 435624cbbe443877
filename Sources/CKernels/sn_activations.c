// Wide-vector activation kernels. Each ISA's functions carry a target attribute, so the package builds with
// default flags and the CPU is asked at run time which set to call.
#include "sn_kernels.h"
#include <immintrin.h>

#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f
#define LOG2E 1.44269504088896341f

// ---------- AVX-512 ----------
#define T512 __attribute__((target("avx512f")))
typedef __m512 v16;

static inline T512 v16 exp16(v16 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
    v16 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v16 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
    v16 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    v16 e = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    // e·2ⁿ without integer bit work; saturates to inf above 88.7.
    return _mm512_scalef_ps(e, n);
}

// mish = x·n/(n+2), n = e²+2e; x − 2x/(n+2) above −0.6 (same formula as the Swift kernel).
static inline T512 v16 mish16(v16 x) {
    v16 e = exp16(_mm512_min_ps(x, _mm512_set1_ps(20.0f)));
    v16 n = _mm512_fmadd_ps(e, e, _mm512_add_ps(e, e));
    v16 q = _mm512_div_ps(x, _mm512_add_ps(n, _mm512_set1_ps(2.0f)));
    v16 high = _mm512_fnmadd_ps(_mm512_set1_ps(2.0f), q, x);
    __mmask16 low = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-0.6f), _CMP_LE_OQ);
    return _mm512_mask_blend_ps(low, high, _mm512_mul_ps(q, n));
}

// mish′ = t + x·σ·(1−t²) = n/d + 4x·e·s/d² = (n·d + 4x·e·s)/d², d = n+2, s = 1+e, x clamped at 15.
static inline T512 v16 mishd16(v16 x) {
    x = _mm512_min_ps(x, _mm512_set1_ps(15.0f));
    v16 e = exp16(x);
    v16 n = _mm512_fmadd_ps(e, e, _mm512_add_ps(e, e));
    v16 d = _mm512_add_ps(n, _mm512_set1_ps(2.0f)), s = _mm512_add_ps(e, _mm512_set1_ps(1.0f));
    v16 xes = _mm512_mul_ps(_mm512_mul_ps(x, e), s);
    v16 num = _mm512_fmadd_ps(xes, _mm512_set1_ps(4.0f), _mm512_mul_ps(n, d));
    return _mm512_div_ps(num, _mm512_mul_ps(d, d));
}

static inline T512 v16 logistic16(v16 x) {
    v16 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

static inline T512 v16 f16(int kind, v16 x) {
    switch (kind) {
    case SN_MISH: return mish16(x);
    case SN_SWISH: return _mm512_mul_ps(x, logistic16(x));
    default: return logistic16(x);
    }
}

static inline T512 v16 df16(int kind, v16 x) {
    switch (kind) {
    case SN_MISH: return mishd16(x);
    case SN_SWISH: {
        v16 s = logistic16(x);
        return _mm512_fmadd_ps(_mm512_mul_ps(x, s), _mm512_sub_ps(_mm512_set1_ps(1.0f), s), s);
    }
    default: {
        v16 s = logistic16(x);
        return _mm512_mul_ps(_mm512_sub_ps(_mm512_set1_ps(1.0f), s), s);
    }
    }
}

#define FORWARD512(NAME, KIND) \
    static T512 void NAME(const float *x, float *y, long n) { \
        long i = 0; \
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f16(KIND, _mm512_loadu_ps(x + i))); \
        if (i < n) { \
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1); \
            _mm512_mask_storeu_ps(y + i, m, f16(KIND, _mm512_maskz_loadu_ps(m, x + i))); \
        } \
    }
#define BACKWARD512(NAME, KIND) \
    static T512 void NAME(const float *x, const float *delta, float *out, long n) { \
        long i = 0; \
        for (; i + 16 <= n; i += 16) \
            _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_loadu_ps(delta + i), df16(KIND, _mm512_loadu_ps(x + i)))); \
        if (i < n) { \
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1); \
            v16 d = _mm512_maskz_loadu_ps(m, delta + i); \
            _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(d, df16(KIND, _mm512_maskz_loadu_ps(m, x + i)))); \
        } \
    }
FORWARD512(mish_f512, SN_MISH)
FORWARD512(swish_f512, SN_SWISH)
FORWARD512(logistic_f512, SN_LOGISTIC)
BACKWARD512(mish_b512, SN_MISH)
BACKWARD512(swish_b512, SN_SWISH)
BACKWARD512(logistic_b512, SN_LOGISTIC)

// ---------- AVX2 + FMA ----------
#define T256 __attribute__((target("avx2,fma")))
typedef __m256 v8;

static inline T256 v8 exp8(v8 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.0f));
    v8 magic = _mm256_set1_ps(12582912.0f);
    v8 t = _mm256_fmadd_ps(x, _mm256_set1_ps(LOG2E), magic);
    v8 n = _mm256_sub_ps(t, magic);
    v8 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
    v8 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    v8 e = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000));
    v8 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(e, scale);
}

static inline T256 v8 mish8(v8 x) {
    v8 e = exp8(_mm256_min_ps(x, _mm256_set1_ps(20.0f)));
    v8 n = _mm256_fmadd_ps(e, e, _mm256_add_ps(e, e));
    v8 q = _mm256_div_ps(x, _mm256_add_ps(n, _mm256_set1_ps(2.0f)));
    v8 high = _mm256_fnmadd_ps(_mm256_set1_ps(2.0f), q, x);
    v8 low = _mm256_cmp_ps(x, _mm256_set1_ps(-0.6f), _CMP_LE_OQ);
    return _mm256_blendv_ps(high, _mm256_mul_ps(q, n), low);
}

static inline T256 v8 mishd8(v8 x) {
    x = _mm256_min_ps(x, _mm256_set1_ps(15.0f));
    v8 e = exp8(x);
    v8 n = _mm256_fmadd_ps(e, e, _mm256_add_ps(e, e));
    v8 d = _mm256_add_ps(n, _mm256_set1_ps(2.0f)), s = _mm256_add_ps(e, _mm256_set1_ps(1.0f));
    v8 xes = _mm256_mul_ps(_mm256_mul_ps(x, e), s);
    v8 num = _mm256_fmadd_ps(xes, _mm256_set1_ps(4.0f), _mm256_mul_ps(n, d));
    return _mm256_div_ps(num, _mm256_mul_ps(d, d));
}

static inline T256 v8 logistic8(v8 x) {
    v8 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

static inline T256 v8 f8(int kind, v8 x) {
    switch (kind) {
    case SN_MISH: return mish8(x);
    case SN_SWISH: return _mm256_mul_ps(x, logistic8(x));
    default: return logistic8(x);
    }
}

static inline T256 v8 df8(int kind, v8 x) {
    switch (kind) {
    case SN_MISH: return mishd8(x);
    case SN_SWISH: {
        v8 s = logistic8(x);
        return _mm256_fmadd_ps(_mm256_mul_ps(x, s), _mm256_sub_ps(_mm256_set1_ps(1.0f), s), s);
    }
    default: {
        v8 s = logistic8(x);
        return _mm256_mul_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), s), s);
    }
    }
}

// The last partial vector goes through a zero-padded copy.
#define FORWARD256(NAME, KIND) \
    static T256 void NAME(const float *x, float *y, long n) { \
        long i = 0; \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f8(KIND, _mm256_loadu_ps(x + i))); \
        if (i < n) { \
            float a[8] = {0}, b[8]; \
            for (long k = 0; k < n - i; k++) a[k] = x[i + k]; \
            _mm256_storeu_ps(b, f8(KIND, _mm256_loadu_ps(a))); \
            for (long k = 0; k < n - i; k++) y[i + k] = b[k]; \
        } \
    }
#define BACKWARD256(NAME, KIND) \
    static T256 void NAME(const float *x, const float *delta, float *out, long n) { \
        long i = 0; \
        for (; i + 8 <= n; i += 8) \
            _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(delta + i), df8(KIND, _mm256_loadu_ps(x + i)))); \
        if (i < n) { \
            float a[8] = {0}, b[8]; \
            for (long k = 0; k < n - i; k++) a[k] = x[i + k]; \
            _mm256_storeu_ps(b, df8(KIND, _mm256_loadu_ps(a))); \
            for (long k = 0; k < n - i; k++) out[i + k] = delta[i + k] * b[k]; \
        } \
    }
FORWARD256(mish_f256, SN_MISH)
FORWARD256(swish_f256, SN_SWISH)
FORWARD256(logistic_f256, SN_LOGISTIC)
BACKWARD256(mish_b256, SN_MISH)
BACKWARD256(swish_b256, SN_SWISH)
BACKWARD256(logistic_b256, SN_LOGISTIC)

// ---------- dispatch ----------
static int level = -1;

int sn_simd_level(void) {
    if (level < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) level = 2;
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
        else level = 0;
    }
    return level;
}

int sn_activation_forward(int kind, const float *x, float *y, long n) {
    switch (sn_simd_level() * 3 + kind) {
    case 6 + SN_MISH: mish_f512(x, y, n); return 1;
    case 6 + SN_SWISH: swish_f512(x, y, n); return 1;
    case 6 + SN_LOGISTIC: logistic_f512(x, y, n); return 1;
    case 3 + SN_MISH: mish_f256(x, y, n); return 1;
    case 3 + SN_SWISH: swish_f256(x, y, n); return 1;
    case 3 + SN_LOGISTIC: logistic_f256(x, y, n); return 1;
    default: return 0;
    }
}

int sn_activation_backward(int kind, const float *x, const float *delta, float *out, long n) {
    switch (sn_simd_level() * 3 + kind) {
    case 6 + SN_MISH: mish_b512(x, delta, out, n); return 1;
    case 6 + SN_SWISH: swish_b512(x, delta, out, n); return 1;
    case 6 + SN_LOGISTIC: logistic_b512(x, delta, out, n); return 1;
    case 3 + SN_MISH: mish_b256(x, delta, out, n); return 1;
    case 3 + SN_SWISH: swish_b256(x, delta, out, n); return 1;
    case 3 + SN_LOGISTIC: logistic_b256(x, delta, out, n); return 1;
    default: return 0;
    }
}
