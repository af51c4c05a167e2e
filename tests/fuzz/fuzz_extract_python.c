/* Fuzz target: the Python front end on arbitrary bytes, then a protobuf round trip of the
 * packed FileFacts (libFuzzer in VARIANT=fuzz, corpus replay everywhere else). */
#include "common/buf.h"
#include "common/mem.h"
#include "extract/lang_python.h"
#include "schemas/facts.pb-c.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pith_buf out = PITH_BUF_INIT;
    extract_python_buffer(data, size, &out);
    Pith__FileFacts *f = pith__file_facts__unpack(NULL, out.len, (const uint8_t *)out.ptr);
    if (!f)
        abort(); /* what we pack must unpack */
    for (size_t i = 0; i < f->n_symbols; i++) {
        if (f->symbols[i]->parent > i) /* parents come before their children */
            abort();
    }
    pith__file_facts__free_unpacked(f, NULL);
    pith_buf_release(&out);
    return 0;
}
