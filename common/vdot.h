/* Dot products over the VECS rows of the artifact (f32 or IEEE half), shared by the exact scan
 * and the HNSW reader (serve), and the f32 <-> f16 conversions pith-pack writes rows with. */
#ifndef PITH_COMMON_VDOT_H
#define PITH_COMMON_VDOT_H

#include "common/artifact.h"

#include <stddef.h>
#include <stdint.h>

/* The IEEE 754 binary16 nearest to `f` (ties to even; overflow gives infinity). */
uint16_t pith_f16_from_f32(float f);
/* The value of binary16 `h` (exact). */
float pith_f16_to_f32(uint16_t h);

/* sum a[j] * b[j] over j < n, in one fixed order: 16 lanes (lane j % 16) reduced pairwise, so
 * every build and CPU gives the same float. */
float pith_dot_f32(const float *a, const float *b, uint32_t n);
/* The same sum with `a` in binary16: equal, bit for bit, to pith_dot_f32 over the converted
 * row. Converts with F16C when the CPU has it (checked at run time), else in portable C. */
float pith_dot_f16(const uint16_t *a, const float *b, uint32_t n);

/* The dot product of row `doc` of `v` with q[v->dim] (0 for a row without a vector or out of
 * range). */
float pith_vectors_dot(const struct pith_vectors *v, const float *q, uint32_t doc);

/* Row `doc` of `v` as floats into out[v->dim] (zeros for a row without a vector). */
void pith_vectors_row(const struct pith_vectors *v, uint32_t doc, float *out);

#endif
