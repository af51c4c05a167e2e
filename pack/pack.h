/* pith-pack: turns the graph stage file (and optionally the vectors stage file) into the index
 * artifact of common/artifact.h: one shard plus MANIFEST, written to a temporary directory and
 * renamed into place. */
#ifndef PITH_PACK_PACK_H
#define PITH_PACK_PACK_H

#include "common/buf.h"
#include "schemas/graph.pb-c.h"
#include "schemas/vectors.pb-c.h"

struct pack_input {
    const Pith__Graph *graph;
    const Pith__VectorSet *vectors; /* NULL: no summaries, embedder "none" */
    const char *source_commit;      /* NULL or "" when unknown */
};

/* How pith-pack stores the vectors (pith-pack --hnsw-min-rows, --vector-type). */
struct pack_vector_options {
    /* an HNSW section when at least this many rows have a vector: 0 = the default
     * (PACK_HNSW_MIN_ROWS_DEFAULT, pack/hnsw_pack.h), PACK_HNSW_NEVER = never */
    uint32_t hnsw_min_rows;
    uint32_t elem_size; /* VECS elements: 0 or 4 = f32, 2 = IEEE binary16 */
};

/* Builds the shard bytes (`shard`) and the packed MANIFEST (`manifest`) from `in`; both buffers
 * are cleared first, the caller owns them (pith_buf_release). Deterministic: the same input gives
 * byte-identical output. Returns 0, PITH_ECORRUPT (the graph references ids out of range) or
 * PITH_ETOOBIG (a table overflows 32-bit offsets), with pith_error_last() set. */
int pack_build(struct pith_buf *shard, struct pith_buf *manifest, const struct pack_input *in);

/* pack_build on `jobs` threads (the caller's included; 0: the CPUs online). The output does not
 * depend on `jobs`. */
int pack_build_jobs(struct pith_buf *shard,
                    struct pith_buf *manifest,
                    const struct pack_input *in,
                    unsigned jobs);

/* pack_build_jobs with vector options `vo` (NULL: the defaults). */
int pack_build_vo(struct pith_buf *shard,
                  struct pith_buf *manifest,
                  const struct pack_input *in,
                  unsigned jobs,
                  const struct pack_vector_options *vo);

/* Writes `shard` and `manifest` as INDEX `dir`: into `dir.tmp.PID/`, then, when `dir` exists
 * (it must then be a pith index: hold a MANIFEST, or be empty), renames it to `dir.old.PID`,
 * renames the new one in and removes the old one. A failure leaves an existing `dir` as it was.
 * Returns 0 or PITH_EIO / PITH_EUSAGE (dir is something else). */
int pack_write_index(const char *dir,
                     const struct pith_buf *shard,
                     const struct pith_buf *manifest);

/* The commit of HEAD in the git repository at `repo_root` (reads .git/HEAD, the loose ref or
 * packed-refs; spawns nothing), as hex into `out`; empty when unknown. */
void pack_git_head(struct pith_buf *out, const char *repo_root);

struct pack_options {
    const char *graph_path;
    const char *vectors_path; /* NULL when none */
    const char *out_dir;
    unsigned jobs; /* 0: the CPUs online */
};

/* The whole stage: read the stage files, build, write. Returns 0 or a PITH_E* code. */
int pack_run(const struct pack_options *opt);
/* pack_run with vector options `vo` (NULL: the defaults). */
int pack_run_vo(const struct pack_options *opt, const struct pack_vector_options *vo);

#endif
