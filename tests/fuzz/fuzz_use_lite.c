/* libFuzzer target for the built-in embedder's model loader (embed/use_lite.c): the input is the
 * head of a model file (header, tensor table, vocabulary, NFKC table, strings; seed made by
 * `node embed/use_lite_convert.mjs --fuzz-seed`), followed here by use_lite_tensor_bytes() zero
 * bytes for the float tensors, so a seed of 3 KB opens. When it opens, a few texts are tokenized
 * and one is embedded. */
#include "embed/use_lite.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    size_t head = (size + 63) & ~(size_t)63, len = head + use_lite_tensor_bytes();
    uint8_t *buf = calloc(1, len); /* malloc alignment: 16 */
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct use_lite *m;
    if (use_lite_open_mem(&m, buf, len) == 0) {
        static const char *const texts[] = {
            "hello world",
            "ﬁnancial ＡＢＣ ½",
            "",
            "x\xff\xfe y",
            "日本語 🎉 \xe2\x96\x81",
            "e\xcc\x81\xcc\xa3 \xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8 \xcc\x81",
            "a",
        };
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            uint32_t *ids;
            size_t n;
            use_lite_tokenize(m, texts[i], strlen(texts[i]), &ids, &n);
            free(ids);
        }
        float out[USE_LITE_DIM];
        use_lite_embed(m, texts, 1, out, 0);
        use_lite_free(m);
    }
    free(buf);
    return 0;
}
