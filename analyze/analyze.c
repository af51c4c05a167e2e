/* pith-analyze driver logic: facts.pstg -> resolve (callgraph.c) -> graph.pstg, and the
 * deterministic text dump of a graph. */
#include "analyze.h"
#include "callgraph_c.h"
#include "ir.h"

#include "common/cpu.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/stagefile.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kind_names[] = {
    "none",      "direct",   "import",     "method",  "inherited", "constructor",
    "ambiguous", "external", "unresolved", "virtual", "indirect",
};

const char *analyze_edge_kind_name(int kind)
{
    if (kind < 0 || (size_t)kind >= sizeof kind_names / sizeof *kind_names)
        return "?";
    return kind_names[kind];
}

static const char *sym_kind_name(int kind)
{
    switch (kind) {
    case PITH__SYMBOL_KIND__SYMBOL_MODULE:
        return "module";
    case PITH__SYMBOL_KIND__SYMBOL_CLASS:
        return "class";
    case PITH__SYMBOL_KIND__SYMBOL_FUNCTION:
        return "function";
    case PITH__SYMBOL_KIND__SYMBOL_METHOD:
        return "method";
    case PITH__SYMBOL_KIND__SYMBOL_NESTED:
        return "nested";
    case PITH__SYMBOL_KIND__SYMBOL_LAMBDA:
        return "lambda";
    default:
        return "?";
    }
}

static const char *qualname_of(const Pith__Graph *g, uint32_t id)
{
    if (id == 0 || id > g->n_symbols)
        return "-";
    return g->symbols[id - 1]->qualname;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

void analyze_dump(struct pith_buf *out, const Pith__Graph *g)
{
    pith_buf_printf(out, "graph files=%zu symbols=%zu edges=%zu\n", g->n_files, g->n_symbols,
                    g->n_edges);
    for (size_t i = 0; i < g->n_files; i++) {
        const Pith__GFile *f = g->files[i];
        pith_buf_printf(out, "file %zu %s module=%s status=%d", i + 1, nz(f->path), nz(f->module),
                        (int)f->status);
        if (f->skip_reason && f->skip_reason[0])
            pith_buf_printf(out, " reason=\"%s\"", f->skip_reason);
        pith_buf_putc(out, '\n');
    }
    for (size_t i = 0; i < g->n_symbols; i++) {
        const Pith__GSymbol *s = g->symbols[i];
        pith_buf_printf(out, "sym %zu %s %s L%u-%u parent=%u", i + 1, sym_kind_name(s->kind),
                        nz(s->qualname), s->start_line, s->end_line, s->parent);
        if (s->n_base_ids) {
            pith_buf_puts(out, " bases=");
            for (size_t k = 0; k < s->n_base_ids; k++)
                pith_buf_printf(out, "%s%s", k ? "," : "", qualname_of(g, s->base_ids[k]));
        }
        pith_buf_putc(out, '\n');
    }
    for (size_t i = 0; i < g->n_edges; i++) {
        const Pith__Edge *e = g->edges[i];
        pith_buf_printf(out, "edge %s -> %s %s %u L%u:%u name=%s", qualname_of(g, e->caller),
                        e->callee ? qualname_of(g, e->callee) : "-",
                        analyze_edge_kind_name(e->kind), e->confidence, e->line, e->col,
                        nz(e->callee_name));
        if (e->reason && e->reason[0])
            pith_buf_printf(out, " reason=\"%s\"", e->reason);
        pith_buf_putc(out, '\n');
    }
}

void analyze_edge_lines(struct pith_buf *out, const Pith__Graph *g)
{
    for (size_t i = 0; i < g->n_edges; i++) {
        const Pith__Edge *e = g->edges[i];
        pith_buf_printf(out, "%s -> %s %s %u\n", qualname_of(g, e->caller),
                        e->callee ? qualname_of(g, e->callee) : nz(e->callee_name),
                        analyze_edge_kind_name(e->kind), e->line);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- decoding the FileFacts records on worker threads -------------------------------------
 * The main thread walks the stage file (bounds, checksums); workers claim record indices from
 * a counter, decompress and unpack them into their own arena. Results go to the record's slot,
 * so the facts array is the same for any --jobs. */

enum { REC_OK, REC_NOT_FACTS, REC_CORRUPT };

struct decode_job {
    const uint8_t **frames;
    size_t *frame_lens;
    size_t *raw_lens;
    size_t count;
    Pith__FileFacts **facts; /* [count] */
    uint8_t *status;         /* [count] REC_* */
    atomic_size_t next;
};

struct decoder {
    struct decode_job *job;
    struct pith_arena arena; /* the unpacked messages */
    struct pith_buf raw;
    ProtobufCAllocator alloc;
};

static void *decoder_alloc(void *data, size_t size)
{
    return pith_arena_alloc(data, size);
}

static void decoder_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr; /* the arena frees everything at once */
}

static void *decoder_main(void *arg)
{
    struct decoder *d = arg;
    struct decode_job *job = d->job;
    for (;;) {
        size_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->count)
            break;
        if (pith_stage_decompress(&d->raw, job->frames[i], job->frame_lens[i], job->raw_lens[i]) <
            0) {
            job->status[i] = REC_CORRUPT;
            continue;
        }
        job->facts[i] =
            pith__file_facts__unpack(&d->alloc, d->raw.len, (const uint8_t *)d->raw.ptr);
        job->status[i] = job->facts[i] ? REC_OK : REC_NOT_FACTS;
    }
    return NULL;
}

/* ---- packing the graph -------------------------------------------------------------------
 * pith__graph__pack computes every element's size twice (once for Graph's size, once for each
 * length prefix) on one thread. The Graph is a list of length-delimited elements, so this packs
 * it in two parallel passes over element chunks: sizes, then (after a prefix sum) each element
 * at its offset. The bytes are those of pith__graph__pack. */

#define PACK_CHUNK 512

struct pack_job {
    const Pith__Graph *g;
    size_t n;      /* files + symbols + edges */
    size_t *sizes; /* packed size of element i */
    size_t *offs;  /* offset of element i's tag in out */
    uint8_t *out;
    int phase; /* 0: sizes, 1: pack */
    atomic_size_t next;
};

static size_t varint_put(uint8_t *p, size_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static size_t varint_len(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Edge, the most numerous element, by hand: proto3 fields in number order, zero scalars and
 * empty strings left out, exactly as protobuf-c writes them (the unit tests compare). */
static size_t str_len(const char *s)
{
    return s ? strlen(s) : 0;
}

static size_t edge_packed_size(const Pith__Edge *e)
{
    uint64_t v[6] = { e->caller,     e->callee, (uint64_t)(int64_t)e->kind,
                      e->confidence, e->line,   e->col };
    size_t n = 0;
    for (int k = 0; k < 6; k++)
        n += v[k] ? 1 + varint_len(v[k]) : 0;
    size_t a = str_len(e->callee_name), b = str_len(e->reason);
    n += a ? 1 + varint_len(a) + a : 0;
    n += b ? 1 + varint_len(b) + b : 0;
    return n;
}

static size_t edge_pack(const Pith__Edge *e, uint8_t *out)
{
    uint64_t v[6] = { e->caller,     e->callee, (uint64_t)(int64_t)e->kind,
                      e->confidence, e->line,   e->col };
    uint8_t *p = out;
    for (int k = 0; k < 6; k++) {
        if (v[k]) {
            *p++ = (uint8_t)((k + 1) << 3);
            p += varint_put(p, v[k]);
        }
    }
    const char *s[2] = { e->callee_name, e->reason };
    for (int k = 0; k < 2; k++) {
        size_t n = str_len(s[k]);
        if (n) {
            *p++ = (uint8_t)(((k + 7) << 3) | 2);
            p += varint_put(p, n);
            memcpy(p, s[k], n);
            p += n;
        }
    }
    return (size_t)(p - out);
}

static void pack_element(struct pack_job *job, size_t i)
{
    const Pith__Graph *g = job->g;
    const ProtobufCMessage *m;
    uint8_t tag;
    if (i < g->n_files) {
        m = &g->files[i]->base;
        tag = (2 << 3) | 2;
    } else if (i - g->n_files < g->n_symbols) {
        m = &g->symbols[i - g->n_files]->base;
        tag = (3 << 3) | 2;
    } else {
        const Pith__Edge *e = g->edges[i - g->n_files - g->n_symbols];
        if (job->phase == 0) {
            job->sizes[i] = edge_packed_size(e);
            return;
        }
        uint8_t *p = job->out + job->offs[i];
        *p++ = (4 << 3) | 2;
        p += varint_put(p, job->sizes[i]);
        if (edge_pack(e, p) != job->sizes[i])
            PITH_BUG("edge packed to a different size than computed");
        return;
    }
    if (job->phase == 0) {
        job->sizes[i] = protobuf_c_message_get_packed_size(m);
        return;
    }
    uint8_t *p = job->out + job->offs[i];
    *p++ = tag;
    p += varint_put(p, job->sizes[i]);
    size_t got = protobuf_c_message_pack(m, p);
    if (got != job->sizes[i])
        PITH_BUG("graph element packed to a different size than computed");
}

static void *pack_main(void *arg)
{
    struct pack_job *job = arg;
    for (;;) {
        size_t start = atomic_fetch_add(&job->next, PACK_CHUNK);
        if (start >= job->n)
            break;
        size_t end = job->n - start < PACK_CHUNK ? job->n : start + PACK_CHUNK;
        for (size_t i = start; i < end; i++)
            pack_element(job, i);
    }
    return NULL;
}

static void pack_run(struct pack_job *job, int jobs)
{
    pthread_t tids[64];
    int started = 1;
    atomic_store(&job->next, 0);
    for (int i = 1; i < jobs && i < 64; i++) {
        if (pthread_create(&tids[i], NULL, pack_main, job) != 0)
            break;
        started++;
    }
    pack_main(job);
    for (int i = 1; i < started; i++)
        pthread_join(tids[i], NULL);
}

void analyze_graph_pack(struct pith_buf *out, const Pith__Graph *g, int jobs)
{
    struct pack_job job = { .g = g };
    job.n = g->n_files + g->n_symbols + g->n_edges;
    job.sizes = pith_xmalloc((job.n ? job.n : 1) * sizeof *job.sizes);
    job.offs = pith_xmalloc((job.n ? job.n : 1) * sizeof *job.offs);
    if (jobs < 1)
        jobs = 1;
    if ((size_t)jobs > job.n / PACK_CHUNK + 1)
        jobs = (int)(job.n / PACK_CHUNK + 1);
    job.phase = 0;
    pack_run(&job, jobs);

    size_t root_len = g->repo_root ? strlen(g->repo_root) : 0;
    size_t total = root_len ? 1 + varint_len(root_len) + root_len : 0;
    for (size_t i = 0; i < job.n; i++) {
        job.offs[i] = total;
        total += 1 + varint_len(job.sizes[i]) + job.sizes[i];
    }
    pith_buf_clear(out);
    pith_buf_grow(out, total);
    job.out = (uint8_t *)out->ptr;
    if (root_len) {
        size_t k = 0;
        job.out[k++] = (1 << 3) | 2;
        k += varint_put(job.out + k, root_len);
        memcpy(job.out + k, g->repo_root, root_len);
    }
    job.phase = 1;
    pack_run(&job, jobs);
    out->len = total;
    out->ptr[total] = '\0';
    free(job.sizes);
    free(job.offs);
}

int analyze_run(const struct analyze_opts *opts)
{
    struct pith_stage_reader r;
    PITH_VEC(const uint8_t *) frames = { 0 };
    PITH_VEC(size_t) frame_lens = { 0 };
    PITH_VEC(size_t) raw_lens = { 0 };
    PITH_VEC(Pith__FileFacts *) facts = { 0 };
    struct decode_job job = { 0 };
    struct decoder *ds = NULL;
    size_t nd = 0;
    struct analyze_graph *g = NULL;
    struct ir_flows *flows = NULL;
    struct callgraph_c *cgc = NULL;
    struct callgraph_c_stats cst;
    int bad = 0, err, scan_err = 0;
    double t0 = now_s();

    err = pith_stage_reader_open(&r, opts->facts_path, PITH_STAGE_FACTS);
    if (err < 0)
        return err;
    for (;;) {
        const uint8_t *z;
        size_t zlen, raw;
        scan_err = pith_stage_reader_next_frame(&r, &z, &zlen, &raw);
        if (scan_err <= 0)
            break;
        pith_vec_push(&frames, z);
        pith_vec_push(&frame_lens, zlen);
        pith_vec_push(&raw_lens, raw);
    }
    /* records before a corrupt one are decoded (and reported) as a sequential reader would */
    job.frames = frames.items;
    job.frame_lens = frame_lens.items;
    job.raw_lens = raw_lens.items;
    job.count = frames.count;
    job.facts = pith_xcalloc(job.count ? job.count : 1, sizeof *job.facts);
    job.status = pith_xcalloc(job.count ? job.count : 1, sizeof *job.status);
    atomic_init(&job.next, 0);
    int threads = opts->jobs > 0 ? opts->jobs : pith_cpu_count();
    int jobs = threads;
    if ((size_t)jobs > job.count)
        jobs = job.count ? (int)job.count : 1;
    ds = pith_xcalloc((size_t)jobs, sizeof *ds);
    pthread_t *tids = pith_xcalloc((size_t)jobs, sizeof *tids);
    for (int i = 0; i < jobs; i++) {
        ds[i].job = &job;
        pith_arena_init(&ds[i].arena);
        pith_buf_init(&ds[i].raw);
        ds[i].alloc = (ProtobufCAllocator){ decoder_alloc, decoder_free, &ds[i].arena };
    }
    nd = (size_t)jobs;
    int started = 1;
    for (int i = 1; i < jobs; i++) {
        if (pthread_create(&tids[i], NULL, decoder_main, &ds[i]) != 0)
            break; /* fewer threads: same result, only slower */
        started++;
    }
    decoder_main(&ds[0]);
    for (int i = 1; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    for (size_t i = 0; i < job.count; i++) {
        if (job.status[i] == REC_CORRUPT) {
            err = PITH_CORRUPT("record %llu does not decompress", (unsigned long long)i);
            goto out;
        }
        if (job.status[i] == REC_NOT_FACTS) {
            fprintf(stderr, "pith-analyze: record %zu of %s is not a FileFacts message; skipped\n",
                    i + 1, opts->facts_path);
            bad++;
            continue;
        }
        pith_vec_push(&facts, job.facts[i]);
    }
    if (scan_err < 0) {
        err = scan_err;
        goto out;
    }
    double t1 = now_s();
    analyze_graph_build(&g, facts.items, facts.count, opts->repo_root, threads);
    /* CFG, def-use and control dependence of every function body (ir.c) */
    ir_flows_attach(&flows, &g->graph, facts.items, facts.count, threads);
    callgraph_c_build(&cgc, &cst, &g->graph, facts.items, facts.count); /* C/C++ edges */
    if (cst.no_compdb)
        fprintf(stderr,
                "pith-analyze: %zu of %zu C/C++ files without a compilation database: their "
                "calls are matched by name (confidence %d/1000)\n",
                cst.no_compdb, cst.files, CG_C_CONF_NAME_ONLY);
    double t2 = now_s();

    struct pith_buf packed = PITH_BUF_INIT;
    analyze_graph_pack(&packed, &g->graph, threads);
    double t3 = now_s();
    struct pith_stage_writer w;
    pith_stage_writer_init(&w, PITH_STAGE_GRAPH);
    pith_stage_writer_add(&w, packed.ptr, packed.len);
    pith_buf_release(&packed);
    double t4 = now_s();
    err = pith_stage_writer_finish(&w, opts->out_path);
    pith_stage_writer_release(&w);
    if (err < 0)
        goto out;
    if (opts->stats) {
        size_t per_kind[16] = { 0 };
        for (size_t i = 0; i < g->graph.n_edges; i++)
            per_kind[g->graph.edges[i]->kind & 15]++;
        fprintf(stderr,
                "files %zu, symbols %zu, edges %zu; read %.3f s (%d threads), resolve %.3f s "
                "(tables %.3f, classes %.3f, calls %.3f, graph %.3f), write %.3f s (pack %.3f, "
                "compress %.3f)\n",
                g->graph.n_files, g->graph.n_symbols, g->graph.n_edges, t1 - t0, started, t2 - t1,
                g->phase_s[0], g->phase_s[1], g->phase_s[2], g->phase_s[3], now_s() - t2, t3 - t2,
                t4 - t3);
        for (int k = 1; k < 11; k++) {
            if (per_kind[k])
                fprintf(stderr, "  %-11s %zu\n", analyze_edge_kind_name(k), per_kind[k]);
        }
    }
    err = bad ? 1 : 0;
out:
    ir_flows_free(flows);
    callgraph_c_free(cgc);
    analyze_graph_free(g);
    for (size_t i = 0; i < nd; i++) {
        pith_arena_release(&ds[i].arena);
        pith_buf_release(&ds[i].raw);
    }
    free(ds);
    free(job.facts);
    free(job.status);
    pith_vec_release(&frames);
    pith_vec_release(&frame_lens);
    pith_vec_release(&raw_lens);
    pith_vec_release(&facts);
    pith_stage_reader_release(&r);
    return err;
}

int analyze_dump_file(struct pith_buf *out, const char *path)
{
    struct pith_stage_reader r;
    const uint8_t *rec;
    size_t len;
    int err = pith_stage_reader_open(&r, path, PITH_STAGE_GRAPH);
    if (err < 0)
        return err;
    err = pith_stage_reader_next(&r, &rec, &len);
    if (err == 0)
        err = PITH_CORRUPT("%s holds no graph record", path);
    if (err < 0)
        goto out;
    Pith__Graph *g = pith__graph__unpack(NULL, len, rec);
    if (!g) {
        err = PITH_CORRUPT("%s: graph record does not decode", path);
        goto out;
    }
    analyze_dump(out, g);
    pith__graph__free_unpacked(g, NULL);
    err = 0;
out:
    pith_stage_reader_release(&r);
    return err;
}
