/* Dot products over f32 and binary16 rows in one fixed summation order (see vdot.h). */
#include "vdot.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define VDOT_X86 1
#else
#define VDOT_X86 0
#endif

#define LANES 16

uint16_t pith_f16_from_f32(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u)
        return (uint16_t)(sign | 0x7e00u); /* NaN */
    if (ax >= 0x477ff000u)
        return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to infinity */
    if (ax < 0x38800000u) {                /* below 2^-14: a subnormal half, or zero */
        float v;
        memcpy(&v, &ax, sizeof v);
        return (uint16_t)(sign | (uint16_t)nearbyintf(v * 0x1p24f)); /* ties to even */
    }
    uint32_t h = (((ax >> 23) - 112u) << 10) | ((ax & 0x7fffffu) >> 13);
    uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
        h++; /* a carry into the exponent is the correct rounding */
    return (uint16_t)(sign | h);
}

float pith_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
    float f;
    if (e == 0) {
        f = (float)m * 0x1p-24f;
        return sign ? -f : f;
    }
    if (e == 31)
        bits = sign | 0x7f800000u | (m << 13);
    else
        bits = sign | ((e + 112u) << 23) | (m << 13);
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float reduce(float acc[LANES])
{
    for (int s = LANES / 2; s > 0; s /= 2) {
        for (int l = 0; l < s; l++)
            acc[l] += acc[l + s];
    }
    return acc[0];
}

static float dot_f32_portable(const float *a, const float *b, uint32_t n)
{
    float acc[LANES] = { 0 };
    uint32_t j = 0;
    for (; j + LANES <= n; j += LANES) {
        for (int l = 0; l < LANES; l++)
            acc[l] += a[j + l] * b[j + l];
    }
    for (int l = 0; j < n; j++, l++)
        acc[l] += a[j] * b[j];
    return reduce(acc);
}

static float dot_f16_portable(const uint16_t *a, const float *b, uint32_t n)
{
    float acc[LANES] = { 0 };
    uint32_t j = 0;
    for (; j + LANES <= n; j += LANES) {
        for (int l = 0; l < LANES; l++)
            acc[l] += pith_f16_to_f32(a[j + l]) * b[j + l];
    }
    for (int l = 0; j < n; j++, l++)
        acc[l] += pith_f16_to_f32(a[j]) * b[j];
    return reduce(acc);
}

#if VDOT_X86
/* The same lanes as dot_f16_portable: lanes 0-7 in lo, 8-15 in hi; multiply, then add (no
 * fused multiply-add, which would round differently). */
__attribute__((target("avx,f16c"))) static float
dot_f16_f16c(const uint16_t *a, const float *b, uint32_t n)
{
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    uint32_t j = 0;
    for (; j + LANES <= n; j += LANES) {
        __m256 a0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(a + j)));
        __m256 a1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(a + j + 8)));
        lo = _mm256_add_ps(lo, _mm256_mul_ps(a0, _mm256_loadu_ps(b + j)));
        hi = _mm256_add_ps(hi, _mm256_mul_ps(a1, _mm256_loadu_ps(b + j + 8)));
    }
    float acc[LANES];
    _mm256_storeu_ps(acc, lo);
    _mm256_storeu_ps(acc + 8, hi);
    for (int l = 0; j < n; j++, l++)
        acc[l] += pith_f16_to_f32(a[j]) * b[j];
    return reduce(acc);
}

static int have_f16c(void)
{
    static int known = -1; /* racy but idempotent: every thread computes the same value */
    if (known < 0) {
        unsigned a, b, c, d;
        int ok =
            __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) && (c & bit_AVX) && (c & bit_OSXSAVE);
        if (ok) { /* the OS saves the YMM registers */
            unsigned lo, hi;
            __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            ok = (lo & 6u) == 6u;
        }
        known = ok;
    }
    return known;
}

/* dot_f32_portable's lanes in two AVX registers (multiply, then add: no FMA). */
__attribute__((target("avx"))) static float dot_f32_avx(const float *a, const float *b, uint32_t n)
{
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    uint32_t j = 0;
    for (; j + LANES <= n; j += LANES) {
        lo = _mm256_add_ps(lo, _mm256_mul_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j)));
        hi = _mm256_add_ps(hi,
                           _mm256_mul_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8)));
    }
    float acc[LANES];
    _mm256_storeu_ps(acc, lo);
    _mm256_storeu_ps(acc + 8, hi);
    for (int l = 0; j < n; j++, l++)
        acc[l] += a[j] * b[j];
    return reduce(acc);
}
#endif

float pith_dot_f32(const float *a, const float *b, uint32_t n)
{
#if VDOT_X86
    if (have_f16c()) /* AVX, F16C and the OS's YMM state */
        return dot_f32_avx(a, b, n);
#endif
    return dot_f32_portable(a, b, n);
}

float pith_dot_f16(const uint16_t *a, const float *b, uint32_t n)
{
#if VDOT_X86
    if (have_f16c())
        return dot_f16_f16c(a, b, n);
#endif
    return dot_f16_portable(a, b, n);
}

float pith_vectors_dot(const struct pith_vectors *v, const float *q, uint32_t doc)
{
    if (!v->header || doc >= v->row_count || !v->has[doc])
        return 0.0f;
    if (v->rows16)
        return pith_dot_f16(v->rows16 + (size_t)doc * v->dim, q, v->dim);
    return pith_dot_f32(v->rows + (size_t)doc * v->dim, q, v->dim);
}

void pith_vectors_row(const struct pith_vectors *v, uint32_t doc, float *out)
{
    if (!v->header || doc >= v->row_count || !v->has[doc]) {
        memset(out, 0, (size_t)v->dim * sizeof *out);
        return;
    }
    if (v->rows16) {
        for (uint32_t j = 0; j < v->dim; j++)
            out[j] = pith_f16_to_f32(v->rows16[(size_t)doc * v->dim + j]);
    } else {
        memcpy(out, v->rows + (size_t)doc * v->dim, (size_t)v->dim * sizeof *out);
    }
}
