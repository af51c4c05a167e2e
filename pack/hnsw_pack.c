/* pith-pack: VECS rows -> hnswlib graph -> the flat HNSW section (see hnsw_pack.h). */
#include "hnsw_pack.h"

#include "common/artifact.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/vdot.h"
#include "hnsw_build.h"

#include <stdlib.h>
#include <string.h>

int hnsw_pack_section(struct pith_buf *out,
                      const unsigned char *vecs,
                      size_t vecs_len,
                      uint32_t min_rows)
{
    pith_buf_clear(out);
    if (min_rows == 0)
        min_rows = PACK_HNSW_MIN_ROWS_DEFAULT;
    if (min_rows == PACK_HNSW_NEVER || vecs_len < sizeof(struct pith_disk_vecs_header))
        return 0;
    struct pith_disk_vecs_header vh;
    memcpy(&vh, vecs, sizeof vh);
    if (vh.present == 0 || vh.present < min_rows)
        return 0;
    uint32_t rows = vh.row_count, dim = vh.dim;
    size_t flags_end = (sizeof vh + rows + 7) & ~(size_t)7;
    struct pith_vectors v;
    memset(&v, 0, sizeof v);
    v.header = (const struct pith_disk_vecs_header *)vecs;
    v.has = vecs + sizeof vh;
    v.dim = dim;
    v.row_count = rows;
    v.elem_size = vh.elem_size;
    if (vh.elem_size == 2)
        v.rows16 = (const uint16_t *)(vecs + flags_end);
    else
        v.rows = (const float *)(vecs + flags_end);

    struct hnsw_build *b =
        hnsw_build_new(dim, vh.present, PACK_HNSW_M, PACK_HNSW_EF_CONSTRUCTION, PACK_HNSW_SEED);
    if (!b)
        return pith_error_set(PITH_EIO, "hnswlib cannot allocate a graph of %u rows", vh.present);
    float *row = pith_xmalloc((size_t)dim * sizeof *row);
    double *sum = pith_xcalloc(dim, sizeof *sum);
    int err = 0;
    for (uint32_t id = 1; id < rows && !err; id++) {
        if (!v.has[id])
            continue;
        pith_vectors_row(&v, id, row); /* the values the reader will score */
        for (uint32_t j = 0; j < dim; j++)
            sum[j] += row[j];
        if (hnsw_build_add(b, row, id) != 0)
            err = pith_error_set(PITH_EIO, "hnswlib failed to insert row %u", id);
    }
    free(row);
    if (err)
        goto out;

    uint32_t nodes = hnsw_build_count(b), m = PACK_HNSW_M, m0 = 2 * PACK_HNSW_M;
    uint32_t *node_of = pith_xcalloc(rows, sizeof *node_of); /* row -> node + 1 */
    for (uint32_t n = 0; n < nodes; n++)
        node_of[hnsw_build_label(b, n)] = n + 1;
    struct pith_disk_hnsw_header h;
    memset(&h, 0, sizeof h);
    h.row_count = rows;
    h.node_count = nodes;
    h.m = m;
    h.m0 = m0;
    h.max_level = (uint32_t)hnsw_build_max_level(b);
    h.entry = hnsw_build_label(b, hnsw_build_entry(b));
    h.ef_construction = PACK_HNSW_EF_CONSTRUCTION;
    h.ef_search = PACK_HNSW_EF_SEARCH;
    h.min_rows = min_rows;
    h.seed = PACK_HNSW_SEED;
    for (uint32_t n = 0; n < nodes; n++)
        h.upper_count += (uint32_t)hnsw_build_level(b, n);
    if (h.max_level > PITH_HNSW_MAX_LEVEL) {
        free(node_of);
        err = pith_error_set(PITH_EIO, "hnsw graph has %u levels, more than %u", h.max_level,
                             PITH_HNSW_MAX_LEVEL);
        goto out;
    }
    size_t off_at = sizeof h + (size_t)dim * 4;
    size_t l0_at = (off_at + ((size_t)rows + 1) * 4 + 7) & ~(size_t)7;
    size_t up_at = l0_at + (size_t)rows * (1 + m0) * 4;
    size_t len = up_at + (size_t)h.upper_count * (1 + m) * 4;
    pith_buf_grow(out, len);
    memset(out->ptr, 0, len);
    memcpy(out->ptr, &h, sizeof h);
    float *centroid = (float *)(out->ptr + sizeof h);
    for (uint32_t j = 0; j < dim; j++)
        centroid[j] = (float)(sum[j] / nodes);
    uint32_t *upper_off = (uint32_t *)(out->ptr + off_at);
    uint32_t *l0 = (uint32_t *)(out->ptr + l0_at);
    uint32_t *upper = (uint32_t *)(out->ptr + up_at);
    uint32_t next = 0;
    for (uint32_t id = 0; id < rows; id++) {
        upper_off[id] = next;
        if (!node_of[id])
            continue;
        uint32_t node = node_of[id] - 1;
        int top = hnsw_build_level(b, node);
        for (int level = 0; level <= top; level++) {
            const uint32_t *links;
            uint32_t n = hnsw_build_links(b, node, level, &links);
            uint32_t *list = level == 0 ? l0 + (size_t)id * (1 + m0)
                                        : upper + (size_t)(next + (uint32_t)level - 1) * (1 + m);
            list[0] = n;
            for (uint32_t i = 0; i < n; i++)
                list[1 + i] = hnsw_build_label(b, links[i]);
        }
        next += (uint32_t)top;
    }
    upper_off[rows] = next;
    out->len = len;
    free(node_of);
out:
    free(sum);
    hnsw_build_free(b);
    return err;
}
