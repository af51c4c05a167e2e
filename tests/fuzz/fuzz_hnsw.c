/* libFuzzer target for the HNSW reader (common/hnsw.c): the input is
 *   u8 rows - 1 | u8 dim - 1 | u8 has[rows] (low bit) | the HNSW section bytes
 * The VECS rows it is checked against are made up from those counts (f32 or, when rows is
 * even, f16); when pith_hnsw_check accepts the section, searches run over it with a few
 * queries, beam widths and k, and every hit must be a row with a vector, best first. */
#include "common/artifact.h"
#include "common/hnsw.h"
#include "common/mem.h"
#include "common/vdot.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint32_t rows = 1u + data[0], dim = 1u + data[1] % 64u;
    if (size < 2 + (size_t)rows)
        return 0;
    struct pith_disk_vecs_header vh;
    memset(&vh, 0, sizeof vh);
    vh.dim = dim;
    vh.row_count = rows;
    vh.elem_size = rows % 2 ? 4 : 2;
    uint8_t *has = pith_xcalloc(rows, 1);
    for (uint32_t i = 1; i < rows; i++) {
        has[i] = data[2 + i] & 1u;
        vh.present += has[i];
    }
    float *f = pith_xcalloc((size_t)rows * dim, sizeof *f);
    uint16_t *h = pith_xcalloc((size_t)rows * dim, sizeof *h);
    for (uint32_t i = 1; i < rows; i++) {
        for (uint32_t j = 0; has[i] && j < dim; j++) {
            f[(size_t)i * dim + j] = (float)sin((double)(i * 31 + j * 7)) / (float)sqrt(dim);
            h[(size_t)i * dim + j] = pith_f16_from_f32(f[(size_t)i * dim + j]);
        }
    }
    struct pith_vectors v;
    memset(&v, 0, sizeof v);
    v.header = &vh;
    v.has = has;
    v.dim = dim;
    v.row_count = rows;
    v.elem_size = vh.elem_size;
    if (vh.elem_size == 2)
        v.rows16 = h;
    else
        v.rows = f;
    size_t len = size - 2 - rows;
    unsigned char *sec = pith_xmalloc(len ? len : 1); /* malloc-aligned, like a mapped section */
    memcpy(sec, data + 2 + rows, len);
    struct pith_hnsw g;
    if (pith_hnsw_check(&g, sec, len, &v) == 0) {
        float *q = pith_xcalloc(dim, sizeof *q);
        struct pith_hnsw_hit out[40];
        for (int t = 0; t < 3; t++) {
            for (uint32_t j = 0; j < dim; j++)
                q[j] = (float)cos((double)(t * 13 + j)) / (float)sqrt(dim);
            size_t k = t == 0 ? 1 : t == 1 ? 10 : 40;
            size_t n = pith_hnsw_search(&g, &v, q, (unsigned)(t * 7), k, out);
            if (n > k || n > vh.present)
                abort();
            for (size_t i = 0; i < n; i++) {
                if (out[i].doc == 0 || out[i].doc >= rows || !has[out[i].doc] ||
                    (i && out[i].sim > out[i - 1].sim))
                    abort();
            }
        }
        free(q);
    }
    free(sec);
    free(has);
    free(f);
    free(h);
    return 0;
}
