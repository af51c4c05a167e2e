/* Unit tests of the HTTP embedder's option checks (embed/http_embedder.c). */
#include "common/err.h"
#include "embed/http_embedder.h"
#include "tests/harness/harness.h"

#include <string.h>

PITH_TEST(http_new_refuses_unset_key_variable)
{
    struct pith_http_embed_options o;
    struct pith_embedder *e = NULL;
    pith_http_embed_options_init(&o);
    o.base_url = "http://127.0.0.1:9";
    o.dims = 4;
    o.api_key_env = "PITH_TEST_NO_SUCH_VARIABLE_XYZ";
    CHECK_EQ_INT(http_embedder_new(&e, &o), PITH_EUSAGE);
    CHECK(strstr(pith_error_last(), "PITH_TEST_NO_SUCH_VARIABLE_XYZ") != NULL);
    o.api_key_env = NULL;
    o.parallel = 5;
    CHECK_EQ_INT(http_embedder_new(&e, &o), PITH_EUSAGE);
    o.parallel = 4;
    CHECK_EQ_INT(http_embedder_new(&e, &o), 0); /* dims given: no probe request */
    CHECK_EQ_STR(e ? e->id : NULL, "http:openai:-@4");
    pith_embedder_free(e);
}
