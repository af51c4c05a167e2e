/* pith-embed: the text view of a vectors stage file (see embed_dump.h). */
#include "embed_dump.h"

#include "common/err.h"
#include "common/stagefile.h"
#include "schemas/vectors.pb-c.h"

int embed_dump_vectors(struct pith_buf *out, const char *path)
{
    struct pith_stage_reader r;
    int err = pith_stage_reader_open(&r, path, PITH_STAGE_VECTORS);
    if (err)
        return err;
    const uint8_t *rec;
    size_t len;
    err = pith_stage_reader_next(&r, &rec, &len);
    if (err == 0)
        err = pith_error_set(PITH_ECORRUPT, "%s holds no vectors record", path);
    if (err < 0)
        goto out;
    Pith__VectorSet *vs = pith__vector_set__unpack(NULL, len, rec);
    if (!vs) {
        err = pith_error_set(PITH_ECORRUPT, "%s: the vectors record does not decode", path);
        goto out;
    }
    pith_buf_printf(out, "embedder %s\ndim %u\nsummary_version %u\nrows %zu\n",
                    vs->embedder ? vs->embedder : "", vs->dim, vs->summary_version, vs->n_rows);
    for (size_t i = 0; i < vs->n_rows; i++) {
        const Pith__VectorRow *row = vs->rows[i];
        pith_buf_printf(out, "%u\t", row->symbol);
        pith_buf_put_json_str(out, row->summary ? row->summary : "");
        pith_buf_putc(out, '\t');
        for (size_t k = 0; k < row->n_vector; k++)
            pith_buf_printf(out, k ? " %.8g" : "%.8g", (double)row->vector[k]);
        pith_buf_putc(out, '\n');
    }
    pith__vector_set__free_unpacked(vs, NULL);
    err = 0;
out:
    pith_stage_reader_release(&r);
    return err;
}
