/* pith-embed: the embedding cache, content-addressed vectors that survive between builds, so an
 * unchanged summary is never embedded twice and an interrupted build resumes.
 *
 * One file per embedder in the cache folder, DIR/<hex of SHA-256(cache id), 16 chars>.vec:
 *
 *   header  "PITHVEC1" | dim u32 | id_len u32 | cache id (id_len bytes) | XXH3-64 of the above
 *   row 0   key[32] | f32 vector[dim] | XXH3-64 of key and vector     (40 + 4*dim bytes)
 *   row 1   ...                                                        little-endian, appended
 *
 * key = SHA-256(cache id || 0x00 || document prefix || summary text) (embed_cache_key). Rows are
 * only appended, without fsync; opening checks every row's checksum and truncates the file at
 * the first torn or bad row, so a crash loses at most the row being written. The key index is
 * rebuilt in memory on open (the keys are in the rows). embed_cache_compact rewrites the file
 * with the rows used since open (temp file + rename). A write lock (fcntl) on the file keeps a
 * second writer out. */
#ifndef PITH_EMBED_CACHE_H
#define PITH_EMBED_CACHE_H

#include "common/buf.h"
#include "embed/embedder.h"

#include <stddef.h>
#include <stdint.h>

#define EMBED_CACHE_KEY_LEN 32

struct embed_cache;

/* The cache key of one document: SHA-256(cache_id || 0 || doc_prefix || text). */
void embed_cache_key(uint8_t out[EMBED_CACHE_KEY_LEN],
                     const char *cache_id,
                     const char *doc_prefix,
                     const char *text);

/* Opens (creating `dir` and the file when missing) the cache of `cache_id` with `dim`-float
 * vectors; a torn or corrupt tail is truncated away (a corrupt header resets the file). Caller
 * owns *out; close with embed_cache_close. Returns 0, PITH_EIO (also: locked by another
 * process) or PITH_EUSAGE (dim 0). */
int embed_cache_open(struct embed_cache **out, const char *dir, const char *cache_id, uint32_t dim);

/* Copies the vector of `key` into out[dim] and marks the row used. Returns 1 (found), 0 (not
 * cached) or PITH_EIO / PITH_ECORRUPT (the row no longer reads back). */
int embed_cache_get(struct embed_cache *c, const uint8_t key[EMBED_CACHE_KEY_LEN], float *out);

/* Appends the row (key, vec[dim]) and marks it used; a key already present is only marked.
 * Returns 0 or PITH_EIO. */
int embed_cache_put(struct embed_cache *c,
                    const uint8_t key[EMBED_CACHE_KEY_LEN],
                    const float *vec);

/* Rewrites the file with only the rows marked used since open (no-op when all are). Returns
 * the number of rows dropped, or PITH_EIO. */
long embed_cache_compact(struct embed_cache *c);

/* Rows in the cache; bytes truncated away when it was opened. */
size_t embed_cache_count(const struct embed_cache *c);
uint64_t embed_cache_dropped_bytes(const struct embed_cache *c);

/* The file path (borrowed until close). */
const char *embed_cache_path(const struct embed_cache *c);

/* Closes and frees (NULL is fine). */
void embed_cache_close(struct embed_cache *c);

/* Checks the cache file at `path` without changing it: header and every row's checksum, no
 * trailing partial row, no duplicate key. Returns the row count, or PITH_ECORRUPT /
 * PITH_ENOTFOUND / PITH_EIO with the message set. */
long embed_cache_verify(const char *path);

/* embed_cache_verify on every *.vec file of `dir`, a line "PATH: N rows" each (or the error)
 * appended to `out`. Returns the number of bad files (0: all good), or PITH_EIO when `dir`
 * does not open. */
int embed_cache_verify_dir(struct pith_buf *out, const char *dir);

/* ---- the caching embedder ---- */

/* What a caching embedder did: rows found in the cache, rows embedded by the inner embedder,
 * rows collected by embed_cache_embedder_finish, bytes of a torn tail dropped on open. */
struct embed_cache_stats {
    size_t reused, embedded;
    long collected;
    uint64_t dropped_bytes;
};

/* Wraps `inner` (ownership passes to the wrapper, also on failure) in an embedder with the same
 * id and dim whose embed_batch looks each document up in the cache of `dir` first (cache id:
 * inner->id ";summary=v" summary_version) and embeds only the misses, through
 * inner->embed_stream when set, appending each batch to the cache as it arrives: an
 * interrupted build keeps what it got. Queries pass through uncached. Returns 0 or an error of
 * embed_cache_open. */
int embed_cache_embedder_new(struct pith_embedder **out,
                             struct pith_embedder *inner,
                             const char *dir,
                             unsigned summary_version);

/* After a successful build: drops the cache rows no document used (compaction) and reports
 * the counts in *out. Returns 0 or PITH_EIO. */
int embed_cache_embedder_finish(struct pith_embedder *e, struct embed_cache_stats *out);

#endif
