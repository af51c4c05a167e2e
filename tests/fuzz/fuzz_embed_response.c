/* libFuzzer target: an HTTP embedding server's answer as pith-embed and the query side read it.
 * Byte 0 picks the format (OpenAI, Ollama, TEI), byte 1 the number of inputs and byte 2 the
 * expected dimension (0: learnt); the rest is the body, also read as a Retry-After value. Never
 * crashes, and a success holds count * dim finite unit (or zero) vectors. */
#include "common/http_embed.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    enum pith_http_embed_format f = (enum pith_http_embed_format)(data[0] % 3);
    size_t count = data[1] % 9;
    uint32_t dim = data[2] % 5;
    const char *body = (const char *)data + 3;
    size_t len = size - 3;
    float *v = NULL;
    if (pith_http_embed_parse(&v, f, body, len, count, &dim) == 0) {
        for (size_t i = 0; i < count; i++) {
            double n = 0;
            for (uint32_t k = 0; k < dim; k++) {
                if (!isfinite(v[i * dim + k]))
                    abort();
                n += (double)v[i * dim + k] * v[i * dim + k];
            }
            if (n != 0 && fabs(n - 1) > 1e-3)
                abort();
        }
        free(v);
    } else if (v) {
        abort();
    }
    char *s = malloc(len + 1);
    if (!s)
        return 0;
    memcpy(s, body, len);
    s[len] = '\0';
    double secs;
    if (pith_http_retry_after_parse(&secs, s, 1700000000) == 0 && !(secs >= 0))
        abort();
    free(s);
    return 0;
}
