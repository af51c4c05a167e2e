/* The lexical tokenizer (see lex.h): identifier runs are split into words by pith_ident_split,
 * lower-cased, filtered (stopwords, one-letter words, words over PITH_LEX_MAX_TOKEN bytes) and
 * followed by the whole identifier when it had more than one word. Rules in docs/FORMAT.md. */
#include "lex.h"

#include "ident.h"

#include <string.h>

#define MAX_TOKEN 64

/* English function words and Python words that occur in nearly every symbol, with their
 * lengths (no strlen per token). All are shorter than 8 bytes. */
struct stopword {
    const char *word;
    size_t len;
};
#define SW(w) { w, sizeof w - 1 }
static const struct stopword stopwords[] = {
    SW("a"), SW("an"), SW("and"), SW("are"), SW("args"), SW("as"), SW("at"), SW("be"), SW("by"),
    SW("class"), SW("cls"), SW("def"), SW("for"), SW("from"), SW("if"), SW("in"), SW("is"),
    SW("it"), SW("its"), SW("kwargs"), SW("none"), SW("not"), SW("of"), SW("on"), SW("or"),
    SW("self"), SW("that"), SW("the"), SW("this"), SW("to"), SW("true"), SW("false"), SW("was"),
    SW("with"),
};
#undef SW

static int is_stopword(const char *w, size_t len)
{
    if (len >= 8)
        return 0;
    for (size_t i = 0; i < sizeof stopwords / sizeof *stopwords; i++) {
        if (stopwords[i].len == len && stopwords[i].word[0] == w[0] &&
            memcmp(stopwords[i].word, w, len) == 0)
            return 1;
    }
    return 0;
}

struct lex_state {
    pith_lex_cb cb;
    void *payload;
    char whole[MAX_TOKEN];
    size_t whole_len; /* > MAX_TOKEN when the whole identifier is too long */
};

static void emit(struct lex_state *st, const char *w, size_t len)
{
    if (len == 0 || len > MAX_TOKEN)
        return;
    if (len == 1 && !(w[0] >= '0' && w[0] <= '9'))
        return;
    if (is_stopword(w, len))
        return;
    st->cb(w, len, st->payload);
}

static void on_word(const char *word, size_t len, void *payload)
{
    struct lex_state *st = payload;
    char low[MAX_TOKEN];
    size_t n = len < MAX_TOKEN ? len : MAX_TOKEN;
    for (size_t i = 0; i < n; i++) {
        char c = word[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    if (st->whole_len + len <= MAX_TOKEN)
        memcpy(st->whole + st->whole_len, low, len);
    st->whole_len += len;
    if (len <= MAX_TOKEN)
        emit(st, low, len);
}

void pith_lex_tokens(const char *text, size_t len, pith_lex_cb cb, void *payload)
{
    struct lex_state st;
    st.cb = cb;
    st.payload = payload;
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        if (!pith_ident_char(s[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && pith_ident_char(s[i]))
            i++;
        st.whole_len = 0;
        size_t words = pith_ident_split(text + start, i - start, on_word, &st);
        if (words > 1 && st.whole_len <= MAX_TOKEN)
            emit(&st, st.whole, st.whole_len);
    }
}
