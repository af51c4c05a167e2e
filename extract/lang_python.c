/* Python front end of pith-extract (see lang_python.h): one iterative cursor walk over the
 * tree-sitter-python tree, so deep nesting costs heap, never C stack.
 *
 *   class_definition ── body: block ── function_definition ── body: block ── ...
 *   ^ symbol made here   ^ scope pushed on entering the `body` child, popped on leaving it
 *
 * Because a scope starts only at its body, decorators, parameter defaults, annotations and
 * base classes belong to the scope that encloses the definition, as in Python. */
#include "lang_python.h"
#include "ir_python.h"

#include "common/err.h"
#include "common/hashmap.h"

#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

/* Node kinds and fields looked up once per front end. */
struct py_syms {
    TSSymbol function_definition, class_definition, decorated_definition, decorator, lambda,
        identifier, typed_parameter, default_parameter, typed_default_parameter, list_splat_pattern,
        dictionary_splat_pattern, keyword_separator, positional_separator, call, argument_list,
        keyword_argument, dictionary_splat, generator_expression, comment, assignment,
        augmented_assignment, named_expression, attribute, string, concatenated_string,
        expression_statement, import_statement, import_from_statement, aliased_import, dotted_name,
        relative_import, import_prefix, wildcard_import, string_content, with_item, as_pattern,
        as_pattern_target, list, tuple, type_alias_statement, parenthesized_expression,
        for_statement, for_in_clause, except_clause, pattern_list, tuple_pattern, list_pattern,
        expression_list;
};

struct py_fields {
    TSFieldId name, parameters, return_type, body, superclasses, type_parameters, function,
        arguments, left, right, type, value, alias, module_name, object, attribute;
};

/* One level of the walk: the node and the symbol it defines (0 when none). */
struct frame {
    TSNode node;
    uint32_t sym;
    uint32_t call; /* a call, or its `arguments` argument_list: index in p->calls + 1 */
    TSSymbol type;
    uint8_t pushed; /* this node opened a scope */
};

/* What enter() does with a node kind (p->on[symbol]). */
enum on_kind {
    ON_NONE,
    ON_CALL,
    ON_FUNCTION,
    ON_CLASS,
    ON_LAMBDA,
    ON_ASSIGN,
    ON_COMMENT,
    ON_IMPORT,
    ON_IMPORT_FROM,
    ON_WITH_ITEM,
    ON_LOOP,
    ON_EXCEPT,
    ON_AUGASSIGN,
    ON_WALRUS,
    ON_TYPE_ALIAS,
    ON_STRING
};

struct scope {
    uint32_t sym;
};

struct comment_ref {
    uint32_t sym;
    uint32_t start, end; /* comment text without '#' and surrounding blanks */
};

struct lang_python {
    TSParser *parser;
    struct py_syms s;
    struct py_fields f;
    struct frame *frames; /* LANG_PYTHON_MAX_DEPTH + 1 */
    uint8_t *on;          /* enum on_kind by node symbol */
    uint32_t on_count;

    /* per file */
    struct pith_arena *arena;
    const char *src;
    uint32_t len;
    TSTreeCursor cur, aux;
    Pith__FileFacts *out;
    PITH_VEC(Pith__Symbol) syms;
    PITH_VEC(Pith__Import) imports;
    PITH_VEC(Pith__CallSite) calls;
    PITH_VEC(Pith__Binding) binds;
    PITH_VEC(char *) all;
    PITH_VEC(struct comment_ref) comments;
    PITH_VEC(struct scope) scopes;
    PITH_VEC(void *) tmp;
    struct pith_buf sig; /* signature being built */
    struct pith_buf lit; /* string literal being decoded */
    /* statement IR lowering (ir_python.c); NULL with PITH_NO_FLOW set */
    struct ir_python *ir;
};

static TSSymbol sym_id(const TSLanguage *l, const char *name)
{
    TSSymbol s = ts_language_symbol_for_name(l, name, (uint32_t)strlen(name), true);
    if (!s)
        PITH_BUG("python grammar lacks a node kind");
    return s;
}

static TSFieldId field_id(const TSLanguage *l, const char *name)
{
    TSFieldId f = ts_language_field_id_for_name(l, name, (uint32_t)strlen(name));
    if (!f)
        PITH_BUG("python grammar lacks a field");
    return f;
}

struct lang_python *lang_python_new(void)
{
    struct lang_python *p = pith_xcalloc(1, sizeof *p);
    const TSLanguage *l = tree_sitter_python();
    p->parser = ts_parser_new();
    if (!ts_parser_set_language(p->parser, l))
        PITH_BUG("python grammar ABI does not match the tree-sitter runtime");
    p->frames = pith_xcalloc(LANG_PYTHON_MAX_DEPTH + 1, sizeof *p->frames);
#define S(x) p->s.x = sym_id(l, #x)
    S(function_definition);
    S(class_definition);
    S(decorated_definition);
    S(decorator);
    S(lambda);
    S(identifier);
    S(typed_parameter);
    S(default_parameter);
    S(typed_default_parameter);
    S(list_splat_pattern);
    S(dictionary_splat_pattern);
    S(keyword_separator);
    S(positional_separator);
    S(call);
    S(argument_list);
    S(keyword_argument);
    S(dictionary_splat);
    S(generator_expression);
    S(comment);
    S(assignment);
    S(augmented_assignment);
    S(named_expression);
    S(attribute);
    S(string);
    S(string_content);
    S(concatenated_string);
    S(expression_statement);
    S(import_statement);
    S(import_from_statement);
    S(aliased_import);
    S(dotted_name);
    S(relative_import);
    S(import_prefix);
    S(wildcard_import);
    S(with_item);
    S(as_pattern);
    S(as_pattern_target);
    S(list);
    S(tuple);
    S(type_alias_statement);
    S(parenthesized_expression);
    S(for_statement);
    S(for_in_clause);
    S(except_clause);
    S(pattern_list);
    S(tuple_pattern);
    S(list_pattern);
    S(expression_list);
#undef S
#define F(x) p->f.x = field_id(l, #x)
    F(name);
    F(parameters);
    F(return_type);
    F(body);
    F(superclasses);
    F(type_parameters);
    F(function);
    F(arguments);
    F(left);
    F(right);
    F(type);
    F(value);
    F(alias);
    F(module_name);
    F(object);
    F(attribute);
#undef F
    p->on_count = ts_language_symbol_count(l);
    p->on = pith_xcalloc(p->on_count, 1);
    p->on[p->s.call] = ON_CALL;
    p->on[p->s.function_definition] = ON_FUNCTION;
    p->on[p->s.class_definition] = ON_CLASS;
    p->on[p->s.lambda] = ON_LAMBDA;
    p->on[p->s.assignment] = ON_ASSIGN;
    p->on[p->s.comment] = ON_COMMENT;
    p->on[p->s.import_statement] = ON_IMPORT;
    p->on[p->s.import_from_statement] = ON_IMPORT_FROM;
    p->on[p->s.with_item] = ON_WITH_ITEM;
    p->on[p->s.for_statement] = ON_LOOP;
    p->on[p->s.for_in_clause] = ON_LOOP;
    p->on[p->s.except_clause] = ON_EXCEPT;
    p->on[p->s.augmented_assignment] = ON_AUGASSIGN;
    p->on[p->s.named_expression] = ON_WALRUS;
    p->on[p->s.type_alias_statement] = ON_TYPE_ALIAS;
    p->on[p->s.string] = ON_STRING;
    if (!getenv("PITH_NO_FLOW")) /* benchmarks: index without the flow layers */
        p->ir = ir_python_new(l);
    return p;
}

void lang_python_free(struct lang_python *p)
{
    if (!p)
        return;
    ts_parser_delete(p->parser);
    free(p->frames);
    free(p->on);
    pith_vec_release(&p->syms);
    pith_vec_release(&p->imports);
    pith_vec_release(&p->calls);
    pith_vec_release(&p->binds);
    pith_vec_release(&p->all);
    pith_vec_release(&p->comments);
    pith_vec_release(&p->scopes);
    pith_vec_release(&p->tmp);
    pith_buf_release(&p->sig);
    pith_buf_release(&p->lit);
    ir_python_free(p->ir);
    free(p);
}

/* --- text helpers ------------------------------------------------------------------------ */

static const char empty[] = "";

static char *cut_utf8(char *s, size_t n, size_t cap)
{
    if (n > cap) {
        n = cap;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    s[n] = '\0';
    return s;
}

enum norm_mode {
    NORM_STRIP,   /* drop all whitespace and comments outside string literals */
    NORM_COLLAPSE /* one space where the source had blanks, none inside brackets */
};

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Source bytes [start, end) normalised onto one line, at most `cap` bytes, in the arena. */
static char *
norm_range(struct lang_python *p, uint32_t start, uint32_t end, enum norm_mode mode, size_t cap)
{
    const char *s = p->src;
    if (end > p->len)
        end = p->len;
    if (start > end)
        start = end;
    uint32_t i;
    for (i = start; i < end; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == '#' || c == '\\' || c == '\'' || c == '"')
            break;
    }
    if (i == end) {
        size_t n = end - start;
        return cut_utf8(pith_arena_strndup(p->arena, s + start, n), n, cap);
    }
    char *o = pith_arena_alloc(p->arena, (size_t)(end - start) + 1);
    size_t k = 0;
    int space = 0;
    i = start;
    while (i < end) {
        unsigned char c = (unsigned char)s[i];
        if (c == '#') {
            while (i < end && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '\\' && i + 1 < end && (s[i + 1] == '\n' || s[i + 1] == '\r')) {
            i += 2;
            space = 1;
            continue;
        }
        if (is_blank(c)) {
            space = 1;
            i++;
            continue;
        }
        if (space && mode == NORM_COLLAPSE && k > 0 && !strchr("([{", o[k - 1]) &&
            !strchr(")]},", c))
            o[k++] = ' ';
        space = 0;
        if (c != '\'' && c != '"') {
            o[k++] = (char)c;
            i++;
            continue;
        }
        /* a string literal: copied as is, raw newlines become spaces */
        uint32_t q = (i + 2 < end && s[i + 1] == (char)c && s[i + 2] == (char)c) ? 3 : 1;
        for (uint32_t j = 0; j < q; j++)
            o[k++] = (char)c;
        i += q;
        while (i < end) {
            char d = s[i];
            if (d == '\\' && i + 1 < end) {
                o[k++] = d;
                d = s[i + 1];
                o[k++] = (d == '\n' || d == '\r') ? ' ' : d;
                i += 2;
                continue;
            }
            if (d == (char)c && (q == 1 || (i + 2 < end && s[i + 1] == d && s[i + 2] == d))) {
                for (uint32_t j = 0; j < q; j++)
                    o[k++] = d;
                i += q;
                break;
            }
            if (q == 1 && d == '\n')
                break;
            o[k++] = (d == '\n' || d == '\r') ? ' ' : d;
            i++;
        }
    }
    return cut_utf8(o, k, cap);
}

static char *norm(struct lang_python *p, TSNode n, enum norm_mode mode)
{
    return norm_range(p, ts_node_start_byte(n), ts_node_end_byte(n), mode, LANG_PYTHON_TEXT_CAP);
}

static char *text(struct lang_python *p, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (b > p->len)
        b = p->len;
    if (a > b)
        a = b;
    return pith_arena_strndup(p->arena, p->src + a, b - a);
}

static int text_eq(struct lang_python *p, TSNode n, const char *lit)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    size_t l = strlen(lit);
    return b - a == l && b <= p->len && memcmp(p->src + a, lit, l) == 0;
}

static TSNode field(struct lang_python *p, TSNode n, TSFieldId f)
{
    (void)p;
    return ts_node_child_by_field_id(n, f);
}

/* First named child that is not a comment (a null node when none). */
static TSNode first_named(struct lang_python *p, TSNode n)
{
    uint32_t count = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < count; i++) {
        TSNode c = ts_node_named_child(n, i);
        if (ts_node_symbol(c) != p->s.comment)
            return c;
    }
    TSNode none = { { 0 }, NULL, NULL };
    return none;
}

/* --- string literals --------------------------------------------------------------------- */

/* Appends code point `cp` as UTF-8; surrogates become U+FFFD so the text stays valid. */
static void put_utf8(struct pith_buf *b, uint32_t cp)
{
    char u[4];
    if (cp >= 0xD800 && cp <= 0xDFFF)
        cp = 0xFFFD;
    if (cp < 0x80) {
        pith_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        pith_buf_put(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        pith_buf_put(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        pith_buf_put(b, u, 4);
    }
}

/* Decodes the escape at `e` (the letter after the backslash: xHH, uHHHH, UHHHHHHHH or up to
 * three octal digits) into *cp. Returns the bytes used from `e`, or 0 when malformed. */
static uint32_t escape_code(const char *e, uint32_t avail, uint32_t *cp)
{
    uint32_t want = 0, i = 1, v = 0;
    if (e[0] == 'x')
        want = 2;
    else if (e[0] == 'u')
        want = 4;
    else if (e[0] == 'U')
        want = 8;
    if (!want) {
        for (i = 0; i < 3 && i < avail && e[i] >= '0' && e[i] <= '7'; i++)
            v = v * 8 + (uint32_t)(e[i] - '0');
        *cp = v;
        return i;
    }
    if (avail < want + 1)
        return 0;
    for (; i <= want; i++) {
        char c = e[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return 0;
        v = v * 16 + d;
    }
    if (v > 0x10FFFF)
        return 0;
    *cp = v;
    return want + 1;
}

/* The value of a `string` node: quotes and prefix removed, escapes of non-raw strings
 * decoded (simple ones; \x, \u, \N stay as written). Appends to `b`. Returns 0, or -1 for
 * f-strings and bytes, which are not docstrings or names. */
static int string_value(struct lang_python *p, TSNode n, struct pith_buf *b)
{
    uint32_t a = ts_node_start_byte(n), e = ts_node_end_byte(n);
    if (e > p->len)
        e = p->len;
    const char *s = p->src;
    int raw = 0, bad = 0;
    while (a < e && s[a] != '\'' && s[a] != '"') {
        char c = s[a++];
        if (c == 'r' || c == 'R')
            raw = 1;
        else if (c == 'f' || c == 'F' || c == 'b' || c == 'B' || c == 't' || c == 'T')
            bad = 1;
    }
    if (a >= e)
        return -1;
    char q = s[a];
    uint32_t ql = (e - a >= 6 && s[a + 1] == q && s[a + 2] == q) ? 3 : 1;
    uint32_t cs = a + ql, ce = e;
    if (ce - cs >= ql && s[ce - 1] == q)
        ce -= ql;
    if (ce < cs)
        ce = cs;
    if (bad)
        return -1;
    for (uint32_t i = cs; i < ce; i++) {
        char c = s[i];
        if (c == '\r' && i + 1 < ce && s[i + 1] == '\n')
            continue;
        if (c != '\\' || i + 1 >= ce) {
            pith_buf_putc(b, c);
            continue;
        }
        char d = s[i + 1];
        if (raw) {
            pith_buf_putc(b, c);
            pith_buf_putc(b, d);
            i++;
            continue;
        }
        i++;
        switch (d) {
        case '\n':
            break;
        case '\r':
            if (i + 1 < ce && s[i + 1] == '\n')
                i++;
            break;
        case 'n':
            pith_buf_putc(b, '\n');
            break;
        case 't':
            pith_buf_putc(b, '\t');
            break;
        case 'r':
            pith_buf_putc(b, '\r');
            break;
        case '\\':
        case '\'':
        case '"':
            pith_buf_putc(b, d);
            break;
        case 'a':
            pith_buf_putc(b, '\a');
            break;
        case 'b':
            pith_buf_putc(b, '\b');
            break;
        case 'f':
            pith_buf_putc(b, '\f');
            break;
        case 'v':
            pith_buf_putc(b, '\v');
            break;
        case 'x':
        case 'u':
        case 'U':
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7': {
            uint32_t cp = 0;
            uint32_t used = escape_code(s + i, ce - i, &cp);
            if (!used || !cp) { /* malformed, or NUL, which C strings cannot hold */
                pith_buf_putc(b, '\\');
                pith_buf_putc(b, d);
                break;
            }
            put_utf8(b, cp);
            i += used - 1;
            break;
        }
        default:
            pith_buf_putc(b, '\\');
            pith_buf_putc(b, d);
            break;
        }
    }
    return 0;
}

/* The value of a string or concatenated_string into the arena, or NULL. */
static char *literal_value(struct lang_python *p, TSNode n)
{
    struct pith_buf *b = &p->lit;
    pith_buf_clear(b);
    TSSymbol t = ts_node_symbol(n);
    if (t == p->s.string) {
        if (string_value(p, n, b) < 0)
            return NULL;
    } else if (t == p->s.concatenated_string) {
        uint32_t count = ts_node_named_child_count(n);
        for (uint32_t i = 0; i < count; i++) {
            TSNode c = ts_node_named_child(n, i);
            if (ts_node_symbol(c) == p->s.string && string_value(p, c, b) < 0)
                return NULL;
        }
    } else {
        return NULL;
    }
    return pith_arena_strndup(p->arena, b->ptr ? b->ptr : empty, b->len);
}

/* inspect.cleandoc: tabs expanded, common indentation of lines 2.. removed, first line
 * left-stripped, leading and trailing empty lines dropped. */
static char *cleandoc(struct lang_python *p, const char *doc)
{
    size_t tabs = 0, n = strlen(doc);
    for (size_t i = 0; i < n; i++)
        tabs += doc[i] == '\t';
    char *x = pith_arena_alloc(p->arena, n + tabs * 8 + 1);
    size_t k = 0, col = 0;
    for (size_t i = 0; i < n; i++) {
        if (doc[i] == '\t') {
            do
                x[k++] = ' ';
            while (++col % 8);
        } else {
            x[k++] = doc[i];
            col = doc[i] == '\n' ? 0 : col + 1;
        }
    }
    x[k] = '\0';
    n = k;
    /* margin over lines after the first that hold something */
    size_t margin = (size_t)-1;
    const char *nl = memchr(x, '\n', n);
    for (const char *l = nl ? nl + 1 : x + n; l < x + n;) {
        const char *end = memchr(l, '\n', (size_t)(x + n - l));
        if (!end)
            end = x + n;
        size_t ind = 0;
        while (l + ind < end && is_blank((unsigned char)l[ind]))
            ind++;
        if (l + ind < end && ind < margin)
            margin = ind;
        l = end + 1;
    }
    size_t nlines = 1;
    for (size_t i = 0; i < n; i++)
        nlines += x[i] == '\n';
    const char **la = pith_arena_alloc(p->arena, nlines * sizeof *la);
    const char **le = pith_arena_alloc(p->arena, nlines * sizeof *le);
    const char *l = x;
    for (size_t i = 0; i < nlines; i++) {
        const char *end = memchr(l, '\n', (size_t)(x + n - l));
        if (!end)
            end = x + n;
        const char *a = l;
        if (i == 0) {
            while (a < end && is_blank((unsigned char)*a))
                a++;
        } else if (margin != (size_t)-1) {
            a = (size_t)(end - l) > margin ? l + margin : end;
        }
        la[i] = a;
        le[i] = end;
        l = end + 1;
    }
    size_t first = 0, last = nlines;
    while (last > 0 && la[last - 1] == le[last - 1])
        last--;
    while (first < last && la[first] == le[first])
        first++;
    char *o = pith_arena_alloc(p->arena, n + 1);
    size_t ol = 0;
    for (size_t i = first; i < last; i++) {
        if (i > first)
            o[ol++] = '\n';
        memcpy(o + ol, la[i], (size_t)(le[i] - la[i]));
        ol += (size_t)(le[i] - la[i]);
    }
    o[ol] = '\0';
    return o;
}

/* --- symbols ----------------------------------------------------------------------------- */

static uint32_t cur_scope(struct lang_python *p)
{
    return p->scopes.items[p->scopes.count - 1].sym;
}

static Pith__Symbol *sym(struct lang_python *p, uint32_t id)
{
    return &p->syms.items[id - 1];
}

static uint32_t
add_symbol(struct lang_python *p, TSNode n, Pith__SymbolKind kind, char *name, uint32_t parent)
{
    Pith__Symbol init = PITH__SYMBOL__INIT;
    pith_vec_push(&p->syms, init);
    uint32_t id = (uint32_t)p->syms.count;
    Pith__Symbol *s = sym(p, id);
    s->kind = kind;
    s->name = name;
    s->parent = parent;
    const char *pq = parent ? sym(p, parent)->qualname : empty;
    if (!parent) {
        s->qualname = (char *)empty;
    } else if (!pq[0]) {
        s->qualname = name;
    } else {
        size_t a = strlen(pq), b = strlen(name);
        char *q = pith_arena_alloc(p->arena, a + b + 2);
        memcpy(q, pq, a);
        q[a] = '.';
        memcpy(q + a + 1, name, b + 1);
        s->qualname = q;
    }
    TSPoint sp = ts_node_start_point(n), ep = ts_node_end_point(n);
    s->start_line = sp.row + 1;
    s->start_col = sp.column;
    s->end_line = ep.row + 1;
    s->end_col = ep.column;
    return id;
}

static void add_binding(struct lang_python *p,
                        uint32_t scope,
                        char *target,
                        Pith__Binding__Kind kind,
                        char *value,
                        uint32_t line)
{
    Pith__Binding b = PITH__BINDING__INIT;
    b.scope = scope;
    b.target = target;
    b.kind = kind;
    b.value = value;
    b.line = line;
    pith_vec_push(&p->binds, b);
}

static char **tmp_to_arena(struct lang_python *p, size_t from, size_t *count)
{
    size_t n = p->tmp.count - from;
    *count = n;
    if (!n)
        return NULL;
    void **a = pith_arena_alloc(p->arena, n * sizeof *a);
    memcpy(a, p->tmp.items + from, n * sizeof *a);
    p->tmp.count = from;
    return (char **)a;
}

/* The signature built in p->sig, capped, in the arena. */
static char *sig_text(struct lang_python *p)
{
    char *s = pith_arena_strndup(p->arena, p->sig.ptr ? p->sig.ptr : empty, p->sig.len);
    return cut_utf8(s, p->sig.len, LANG_PYTHON_SIGNATURE_CAP);
}

static void sig_sep(struct pith_buf *b, int *first)
{
    if (!*first)
        pith_buf_puts(b, ", ");
    *first = 0;
}

/* Fills s->params from a `parameters` or `lambda_parameters` node and appends their text,
 * comma separated, to p->sig. */
static void do_params(struct lang_python *p, uint32_t id, TSNode params)
{
    int kw_only = 0, first = 1;
    size_t from = p->tmp.count;
    TSTreeCursor *c = &p->aux;
    ts_tree_cursor_reset(c, params);
    for (int ok = ts_tree_cursor_goto_first_child(c); ok;
         ok = ts_tree_cursor_goto_next_sibling(c)) {
        TSNode n = ts_tree_cursor_current_node(c);
        if (!ts_node_is_named(n))
            continue;
        TSSymbol t = ts_node_symbol(n);
        if (t == p->s.comment)
            continue;
        sig_sep(&p->sig, &first);
        pith_buf_puts(&p->sig, norm(p, n, NORM_COLLAPSE));
        if (t == p->s.keyword_separator) {
            kw_only = 1;
            continue;
        }
        if (t == p->s.positional_separator) {
            for (size_t i = from; i < p->tmp.count; i++) {
                Pith__Param *q = p->tmp.items[i];
                if (q->kind == PITH__PARAM__KIND__PLAIN)
                    q->kind = PITH__PARAM__KIND__POSITIONAL_ONLY;
            }
            continue;
        }
        Pith__Param init = PITH__PARAM__INIT;
        Pith__Param *q = pith_arena_alloc(p->arena, sizeof *q);
        *q = init;
        q->kind = kw_only ? PITH__PARAM__KIND__KEYWORD_ONLY : PITH__PARAM__KIND__PLAIN;
        TSNode inner = n;
        if (t == p->s.typed_parameter) {
            inner = first_named(p, n);
            q->annotation = norm(p, field(p, n, p->f.type), NORM_COLLAPSE);
        } else if (t == p->s.default_parameter || t == p->s.typed_default_parameter) {
            inner = field(p, n, p->f.name);
            q->default_value = norm(p, field(p, n, p->f.value), NORM_COLLAPSE);
            if (t == p->s.typed_default_parameter)
                q->annotation = norm(p, field(p, n, p->f.type), NORM_COLLAPSE);
        }
        TSSymbol it = ts_node_is_null(inner) ? 0 : ts_node_symbol(inner);
        if (it == p->s.list_splat_pattern || it == p->s.dictionary_splat_pattern) {
            q->kind = it == p->s.list_splat_pattern ? PITH__PARAM__KIND__VAR_POSITIONAL
                                                    : PITH__PARAM__KIND__VAR_KEYWORD;
            kw_only = 1;
            inner = first_named(p, inner);
        }
        q->name = ts_node_is_null(inner) ? (char *)empty : norm(p, inner, NORM_STRIP);
        pith_vec_push(&p->tmp, q);
    }
    Pith__Symbol *s = sym(p, id);
    s->params = (Pith__Param **)tmp_to_arena(p, from, &s->n_params);
}

/* Docstring and end (last statement, trailing comments excluded) of a body. */
static void do_body(struct lang_python *p, uint32_t id, TSNode body)
{
    Pith__Symbol *s = sym(p, id);
    TSNode firstst = { { 0 }, NULL, NULL }, lastst = firstst;
    TSTreeCursor *c = &p->aux;
    ts_tree_cursor_reset(c, body);
    for (int ok = ts_tree_cursor_goto_first_child(c); ok;
         ok = ts_tree_cursor_goto_next_sibling(c)) {
        TSNode n = ts_tree_cursor_current_node(c);
        if (ts_node_symbol(n) == p->s.comment)
            continue;
        if (ts_node_is_null(firstst))
            firstst = n;
        lastst = n;
    }
    if (!ts_node_is_null(lastst)) {
        /* comments are extras that may end any nested block: descend through last children */
        TSPoint ep = ts_node_end_point(lastst);
        for (TSNode x = lastst; ts_node_symbol(x) != p->s.string;) {
            uint32_t i = ts_node_child_count(x);
            TSNode last = { { 0 }, NULL, NULL };
            while (i-- > 0) {
                last = ts_node_child(x, i);
                if (ts_node_symbol(last) != p->s.comment)
                    break;
                last.id = NULL;
            }
            if (ts_node_is_null(last))
                break;
            ep = ts_node_end_point(last);
            x = last;
        }
        s->end_line = ep.row + 1;
        s->end_col = ep.column;
    }
    if (!ts_node_is_null(firstst) && ts_node_symbol(firstst) == p->s.expression_statement &&
        ts_node_named_child_count(firstst) == 1) {
        char *v = literal_value(p, ts_node_named_child(firstst, 0));
        if (v)
            s->docstring = cleandoc(p, v);
    }
}

static void push_scope(struct lang_python *p, uint32_t id)
{
    struct scope sc = { id };
    pith_vec_push(&p->scopes, sc);
}

static void on_def(struct lang_python *p, uint32_t d, TSNode n, int is_class)
{
    uint32_t parent = cur_scope(p);
    Pith__SymbolKind pk = sym(p, parent)->kind;
    Pith__SymbolKind kind = PITH__SYMBOL_KIND__SYMBOL_CLASS;
    if (!is_class) {
        kind = pk == PITH__SYMBOL_KIND__SYMBOL_CLASS    ? PITH__SYMBOL_KIND__SYMBOL_METHOD
               : pk == PITH__SYMBOL_KIND__SYMBOL_MODULE ? PITH__SYMBOL_KIND__SYMBOL_FUNCTION
                                                        : PITH__SYMBOL_KIND__SYMBOL_NESTED;
    }
    TSNode name_node = field(p, n, p->f.name);
    char *name = ts_node_is_null(name_node) ? (char *)empty : text(p, name_node);
    uint32_t id = add_symbol(p, n, kind, name, parent);
    p->frames[d].sym = id;
    Pith__Symbol *s = sym(p, id);
    struct pith_buf *sig = &p->sig;
    pith_buf_clear(sig);
    if (!is_class && p->len - ts_node_start_byte(n) >= 5 &&
        memcmp(p->src + ts_node_start_byte(n), "async", 5) == 0) {
        s->is_async = 1;
        pith_buf_puts(sig, "async ");
    }
    pith_buf_puts(sig, is_class ? "class " : "def ");
    pith_buf_puts(sig, name);
    TSNode tp = field(p, n, p->f.type_parameters);
    if (!ts_node_is_null(tp))
        pith_buf_puts(sig, norm(p, tp, NORM_COLLAPSE));
    if (is_class) {
        TSNode sup = field(p, n, p->f.superclasses);
        if (!ts_node_is_null(sup)) {
            size_t from = p->tmp.count;
            int first = 1;
            pith_buf_putc(sig, '(');
            uint32_t count = ts_node_named_child_count(sup);
            for (uint32_t i = 0; i < count; i++) {
                TSNode c = ts_node_named_child(sup, i);
                TSSymbol t = ts_node_symbol(c);
                if (t == p->s.comment)
                    continue;
                char *txt = norm(p, c, NORM_COLLAPSE);
                sig_sep(sig, &first);
                pith_buf_puts(sig, txt);
                if (t != p->s.keyword_argument && t != p->s.dictionary_splat)
                    pith_vec_push(&p->tmp, txt);
            }
            pith_buf_putc(sig, ')');
            s = sym(p, id);
            s->bases = tmp_to_arena(p, from, &s->n_bases);
        }
    } else {
        pith_buf_putc(sig, '(');
        TSNode params = field(p, n, p->f.parameters);
        if (!ts_node_is_null(params))
            do_params(p, id, params);
        pith_buf_putc(sig, ')');
        TSNode ret = field(p, n, p->f.return_type);
        if (!ts_node_is_null(ret)) {
            s->returns = norm(p, ret, NORM_COLLAPSE);
            pith_buf_puts(sig, " -> ");
            pith_buf_puts(sig, s->returns);
        }
    }
    s->signature = sig_text(p);
    /* decorators live on the decorated_definition one level up */
    if (d > 0 && p->frames[d - 1].type == p->s.decorated_definition) {
        TSNode dd = p->frames[d - 1].node;
        size_t from = p->tmp.count;
        uint32_t count = ts_node_named_child_count(dd);
        for (uint32_t i = 0; i < count; i++) {
            TSNode c = ts_node_named_child(dd, i);
            if (ts_node_symbol(c) != p->s.decorator)
                continue;
            TSNode e = first_named(p, c);
            if (!ts_node_is_null(e))
                pith_vec_push(&p->tmp, norm(p, e, NORM_COLLAPSE));
        }
        s->decorators = tmp_to_arena(p, from, &s->n_decorators);
    }
    add_binding(p, parent, name, PITH__BINDING__KIND__DEF, s->qualname, s->start_line);
}

static void on_lambda(struct lang_python *p, uint32_t d, TSNode n)
{
    uint32_t id =
        add_symbol(p, n, PITH__SYMBOL_KIND__SYMBOL_LAMBDA, (char *)"<lambda>", cur_scope(p));
    p->frames[d].sym = id;
    pith_buf_clear(&p->sig);
    pith_buf_puts(&p->sig, "lambda");
    TSNode params = field(p, n, p->f.parameters);
    if (!ts_node_is_null(params)) {
        pith_buf_putc(&p->sig, ' ');
        do_params(p, id, params);
    }
    sym(p, id)->signature = sig_text(p);
}

/* --- calls, bindings, imports, comments --------------------------------------------------- */

/* Records the call; the walk counts its arguments (see enter) unless they are a generator
 * expression, which is one argument. */
static void on_call(struct lang_python *p, uint32_t d, TSNode n)
{
    Pith__CallSite cs = PITH__CALL_SITE__INIT;
    TSNode fn = field(p, n, p->f.function), args = field(p, n, p->f.arguments);
    cs.caller = cur_scope(p);
    cs.callee = ts_node_is_null(fn) ? (char *)empty
                                    : norm_range(p, ts_node_start_byte(fn), ts_node_end_byte(fn),
                                                 NORM_STRIP, LANG_PYTHON_CALLEE_CAP);
    TSPoint sp = ts_node_start_point(n);
    cs.line = sp.row + 1;
    cs.col = sp.column;
    if (!ts_node_is_null(args) && ts_node_symbol(args) == p->s.generator_expression)
        cs.arg_count = 1;
    pith_vec_push(&p->calls, cs);
    p->frames[d].call = (uint32_t)p->calls.count;
}

/* A string without interpolations holds no calls, lambdas or comments: its parts need no
 * visit. Such a string's children are string_start, at most one string_content (escapes are
 * its leaves) and string_end; a string with a syntax error is walked. The prefix is no guide:
 * after an error the scanner may read a string without one as an f-string. */
static int plain_string(struct lang_python *p, TSNode n)
{
    if (ts_node_has_error(n))
        return 0;
    uint32_t count = ts_node_child_count(n);
    return count == 2 || (count == 3 && ts_node_symbol(ts_node_child(n, 1)) == p->s.string_content);
}

/* "x", "self.x" / "cls.x", or NULL for targets that are not bindings. */
static char *target_text(struct lang_python *p, TSNode t)
{
    TSSymbol k = ts_node_symbol(t);
    if (k == p->s.identifier)
        return text(p, t);
    if (k != p->s.attribute)
        return NULL;
    TSNode obj = field(p, t, p->f.object), attr = field(p, t, p->f.attribute);
    if (ts_node_is_null(obj) || ts_node_is_null(attr) || ts_node_symbol(obj) != p->s.identifier)
        return NULL;
    if (!text_eq(p, obj, "self") && !text_eq(p, obj, "cls"))
        return NULL;
    return norm(p, t, NORM_STRIP);
}

static Pith__Binding__Kind classify(struct lang_python *p, TSNode v, char **value)
{
    *value = (char *)empty;
    if (ts_node_is_null(v))
        return PITH__BINDING__KIND__OTHER;
    TSSymbol k = ts_node_symbol(v);
    /* (value) and (name := value) give value */
    for (int i = 0; i < 64 && (k == p->s.parenthesized_expression || k == p->s.named_expression);
         i++) {
        v = k == p->s.named_expression ? field(p, v, p->f.value) : first_named(p, v);
        if (ts_node_is_null(v))
            return PITH__BINDING__KIND__OTHER;
        k = ts_node_symbol(v);
    }
    if (k == p->s.call) {
        TSNode fn = field(p, v, p->f.function);
        if (!ts_node_is_null(fn))
            *value = norm_range(p, ts_node_start_byte(fn), ts_node_end_byte(fn), NORM_STRIP,
                                LANG_PYTHON_CALLEE_CAP);
        return PITH__BINDING__KIND__CALL;
    }
    TSNode x = v;
    while (ts_node_symbol(x) == p->s.attribute) {
        x = field(p, x, p->f.object);
        if (ts_node_is_null(x))
            return PITH__BINDING__KIND__OTHER;
    }
    if (ts_node_symbol(x) != p->s.identifier)
        return PITH__BINDING__KIND__OTHER;
    *value = norm(p, v, NORM_STRIP);
    return PITH__BINDING__KIND__NAME;
}

/* __all__ = [...] / (...) or += at module level. */
static void do_all(struct lang_python *p, TSNode v)
{
    if (ts_node_is_null(v))
        return;
    TSSymbol k = ts_node_symbol(v);
    if (k != p->s.list && k != p->s.tuple && k != p->s.expression_list) /* __all__ = "a", "b" */
        return;
    p->out->has_all = 1;
    TSTreeCursor *c = &p->aux;
    ts_tree_cursor_reset(c, v);
    for (int ok = ts_tree_cursor_goto_first_child(c); ok;
         ok = ts_tree_cursor_goto_next_sibling(c)) {
        char *s = literal_value(p, ts_tree_cursor_current_node(c));
        if (s)
            pith_vec_push(&p->all, s);
    }
}

/* Binds every name inside a destructuring target (a, (b, *c)), a loop or comprehension
 * variable or an `except ... as e` name as OTHER: its value is unknown, but it shadows outer
 * names of the same spelling, so a call through it must not resolve to them. */
static void bind_pattern(struct lang_python *p, uint32_t scope, TSNode t, uint32_t line, int depth)
{
    if (ts_node_is_null(t) || depth > 32)
        return;
    char *name = target_text(p, t);
    if (name) {
        add_binding(p, scope, name, PITH__BINDING__KIND__OTHER, (char *)empty, line);
        return;
    }
    TSSymbol k = ts_node_symbol(t);
    if (k != p->s.pattern_list && k != p->s.tuple_pattern && k != p->s.list_pattern &&
        k != p->s.tuple && k != p->s.list && k != p->s.parenthesized_expression &&
        k != p->s.list_splat_pattern && k != p->s.as_pattern_target)
        return;
    uint32_t n = ts_node_named_child_count(t);
    for (uint32_t i = 0; i < n && i < 256; i++)
        bind_pattern(p, scope, ts_node_named_child(t, i), line, depth + 1);
}

static void on_loop_target(struct lang_python *p, TSNode n)
{
    bind_pattern(p, cur_scope(p), field(p, n, p->f.left), ts_node_start_point(n).row + 1, 0);
}

static void on_except(struct lang_python *p, TSNode n)
{
    uint32_t line = ts_node_start_point(n).row + 1;
    TSNode alias = field(p, n, p->f.alias), v = field(p, n, p->f.value);
    if (ts_node_is_null(alias) && !ts_node_is_null(v) && ts_node_symbol(v) == p->s.as_pattern)
        alias = field(p, v, p->f.alias); /* "except E as e" parses as an as_pattern value */
    bind_pattern(p, cur_scope(p), alias, line, 0);
}

static void on_assign(struct lang_python *p, uint32_t d, TSNode n)
{
    if (d > 0 && p->frames[d - 1].type == p->s.assignment)
        return; /* the inner part of a = b = value: done by the outer one */
    uint32_t scope = cur_scope(p);
    TSNode cur = n, value;
    size_t from = p->tmp.count;
    for (;;) {
        TSNode left = field(p, cur, p->f.left);
        value = field(p, cur, p->f.right);
        char *t = ts_node_is_null(left) ? NULL : target_text(p, left);
        if (t) {
            pith_vec_push(&p->tmp, t);
            if (scope == 1 && !strcmp(t, "__all__"))
                do_all(p, value);
        } else {
            bind_pattern(p, scope, left, ts_node_start_point(n).row + 1, 0);
        }
        if (ts_node_is_null(value) || ts_node_symbol(value) != p->s.assignment)
            break;
        cur = value;
    }
    char *val;
    Pith__Binding__Kind kind = classify(p, value, &val);
    TSNode ann = field(p, n, p->f.type);
    if (!ts_node_is_null(ann) && kind != PITH__BINDING__KIND__CALL) {
        kind = PITH__BINDING__KIND__ANNOTATION;
        val = norm(p, ann, NORM_COLLAPSE);
    }
    uint32_t line = ts_node_start_point(n).row + 1;
    for (size_t i = from; i < p->tmp.count; i++)
        add_binding(p, scope, p->tmp.items[i], kind, val, line);
    p->tmp.count = from;
}

static void on_augassign(struct lang_python *p, TSNode n)
{
    TSNode left = field(p, n, p->f.left);
    if (cur_scope(p) == 1 && !ts_node_is_null(left) && text_eq(p, left, "__all__"))
        do_all(p, field(p, n, p->f.right));
}

static void on_walrus(struct lang_python *p, TSNode n)
{
    TSNode name = field(p, n, p->f.name);
    if (ts_node_is_null(name) || ts_node_symbol(name) != p->s.identifier)
        return;
    char *val;
    Pith__Binding__Kind kind = classify(p, field(p, n, p->f.value), &val);
    add_binding(p, cur_scope(p), text(p, name), kind, val, ts_node_start_point(n).row + 1);
}

static void on_with_item(struct lang_python *p, TSNode n)
{
    TSNode v = field(p, n, p->f.value);
    if (ts_node_is_null(v) || ts_node_symbol(v) != p->s.as_pattern)
        return;
    TSNode alias = field(p, v, p->f.alias);
    if (ts_node_is_null(alias))
        return;
    if (ts_node_symbol(alias) == p->s.as_pattern_target)
        alias = first_named(p, alias);
    if (ts_node_is_null(alias))
        return;
    char *t = target_text(p, alias);
    if (!t) {
        bind_pattern(p, cur_scope(p), alias, ts_node_start_point(n).row + 1, 0);
        return;
    }
    char *val;
    Pith__Binding__Kind kind = classify(p, first_named(p, v), &val);
    add_binding(p, cur_scope(p), t, kind, val, ts_node_start_point(n).row + 1);
}

static void
add_import(struct lang_python *p, TSNode stmt, char *module, uint32_t level, TSNode item, int from)
{
    Pith__Import im = PITH__IMPORT__INIT;
    im.scope = cur_scope(p);
    im.line = ts_node_start_point(stmt).row + 1;
    im.module = module;
    im.level = level;
    TSNode what = item;
    if (ts_node_symbol(item) == p->s.aliased_import) {
        what = field(p, item, p->f.name);
        TSNode al = field(p, item, p->f.alias);
        if (!ts_node_is_null(al))
            im.alias = text(p, al);
    }
    if (ts_node_symbol(item) == p->s.wildcard_import) {
        im.is_star = 1;
        im.name = (char *)"*";
    } else if (!ts_node_is_null(what)) {
        char *t = norm(p, what, NORM_STRIP);
        if (from)
            im.name = t;
        else
            im.module = t;
    }
    pith_vec_push(&p->imports, im);
}

static void on_import(struct lang_python *p, TSNode n, int from)
{
    char *module = (char *)empty;
    uint32_t level = 0;
    if (from) {
        TSNode m = field(p, n, p->f.module_name);
        if (ts_node_is_null(m))
            return;
        if (ts_node_symbol(m) == p->s.relative_import) {
            uint32_t count = ts_node_named_child_count(m);
            for (uint32_t i = 0; i < count; i++) {
                TSNode c = ts_node_named_child(m, i);
                TSSymbol t = ts_node_symbol(c);
                if (t == p->s.import_prefix) {
                    for (uint32_t b = ts_node_start_byte(c); b < ts_node_end_byte(c); b++)
                        level += p->src[b] == '.';
                } else if (t == p->s.dotted_name) {
                    module = norm(p, c, NORM_STRIP);
                }
            }
        } else {
            module = norm(p, m, NORM_STRIP);
        }
    }
    TSTreeCursor *c = &p->aux;
    ts_tree_cursor_reset(c, n);
    for (int ok = ts_tree_cursor_goto_first_child(c); ok;
         ok = ts_tree_cursor_goto_next_sibling(c)) {
        TSNode item = ts_tree_cursor_current_node(c);
        if (ts_tree_cursor_current_field_id(c) == p->f.name ||
            ts_node_symbol(item) == p->s.wildcard_import)
            add_import(p, n, module, level, item, from);
    }
}

/* tree-sitter-python reads "type(x).attr = v" as a PEP 695 alias; real aliases name an
 * identifier, so "type(" is the builtin's call, which is recorded here. */
static void on_type_alias(struct lang_python *p, TSNode n)
{
    uint32_t a = ts_node_start_byte(n) + 4;
    while (a < p->len && (p->src[a] == ' ' || p->src[a] == '\t'))
        a++;
    if (a >= p->len || p->src[a] != '(')
        return;
    TSNode left = first_named(p, n);
    TSNode obj = ts_node_is_null(left) ? left : first_named(p, left);
    if (!ts_node_is_null(obj) && ts_node_symbol(obj) == p->s.attribute)
        obj = field(p, obj, p->f.object);
    Pith__CallSite cs = PITH__CALL_SITE__INIT;
    TSPoint sp = ts_node_start_point(n);
    cs.caller = cur_scope(p);
    cs.callee = (char *)"type";
    cs.line = sp.row + 1;
    cs.col = sp.column;
    cs.arg_count = 1;
    if (!ts_node_is_null(obj) && ts_node_symbol(obj) == p->s.tuple)
        cs.arg_count = ts_node_named_child_count(obj);
    pith_vec_push(&p->calls, cs);
}

static void on_comment(struct lang_python *p, uint32_t d, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (b > p->len)
        b = p->len;
    if (a < b && p->src[a] == '#')
        a++;
    while (a < b && is_blank((unsigned char)p->src[a]))
        a++;
    while (b > a && is_blank((unsigned char)p->src[b - 1]))
        b--;
    /* the innermost def or class around the comment, its signature included */
    uint32_t owner = 1;
    for (uint32_t k = d; k-- > 0;) {
        if (p->frames[k].sym && p->frames[k].type != p->s.lambda) {
            owner = p->frames[k].sym;
            break;
        }
    }
    struct comment_ref r = { owner, a, b };
    pith_vec_push(&p->comments, r);
}

/* Joins each symbol's comments with '\n'; a symbol takes comments while they fit the cap. */
static void finish_comments(struct lang_python *p)
{
    size_t nsym = p->syms.count;
    if (!p->comments.count)
        return;
    uint32_t *len = pith_arena_alloc(p->arena, nsym * sizeof *len);
    uint8_t *full = pith_arena_alloc(p->arena, nsym);
    uint8_t *take = pith_arena_alloc(p->arena, p->comments.count);
    for (size_t i = 0; i < p->comments.count; i++) {
        struct comment_ref *r = &p->comments.items[i];
        uint32_t s = r->sym - 1, l = r->end - r->start;
        uint32_t need = l + (len[s] ? 1 : 0);
        if (full[s] || !l)
            continue;
        if (len[s] + need > LANG_PYTHON_COMMENTS_CAP) {
            full[s] = 1;
            continue;
        }
        len[s] += need;
        take[i] = 1;
    }
    char **buf = pith_arena_alloc(p->arena, nsym * sizeof *buf);
    uint32_t *pos = pith_arena_alloc(p->arena, nsym * sizeof *pos);
    for (size_t s = 0; s < nsym; s++) {
        if (len[s]) {
            buf[s] = pith_arena_alloc(p->arena, len[s] + 1);
            p->syms.items[s].comments = buf[s];
        }
    }
    for (size_t i = 0; i < p->comments.count; i++) {
        if (!take[i])
            continue;
        struct comment_ref *r = &p->comments.items[i];
        uint32_t s = r->sym - 1, l = r->end - r->start;
        if (pos[s])
            buf[s][pos[s]++] = '\n';
        memcpy(buf[s] + pos[s], p->src + r->start, l);
        pos[s] += l;
    }
}

/* --- the walk ---------------------------------------------------------------------------- */

/* Handles the node under the cursor at depth d. Returns 1 when its children need no visit. */
static int enter(struct lang_python *p, uint32_t d)
{
    TSNode n = ts_tree_cursor_current_node(&p->cur);
    struct frame *fr = &p->frames[d];
    TSSymbol t = ts_node_symbol(n);
    fr->node = n;
    fr->sym = 0;
    fr->call = 0;
    fr->type = t;
    fr->pushed = 0;
    if (d > 0) {
        struct frame *up = &p->frames[d - 1];
        if (up->sym && ts_tree_cursor_current_field_id(&p->cur) == p->f.body) {
            if (up->type != p->s.lambda)
                do_body(p, up->sym, n);
            push_scope(p, up->sym);
            fr->pushed = 1;
        } else if (up->call && up->type == p->s.argument_list) {
            if (t != p->s.comment && ts_node_is_named(n))
                p->calls.items[up->call - 1].arg_count++;
        } else if (up->call && t == p->s.argument_list &&
                   ts_tree_cursor_current_field_id(&p->cur) == p->f.arguments) {
            fr->call = up->call; /* its named children are the call's arguments */
        }
    }
    switch (t < p->on_count ? p->on[t] : ON_NONE) {
    case ON_CALL:
        on_call(p, d, n);
        break;
    case ON_FUNCTION:
        on_def(p, d, n, 0);
        break;
    case ON_CLASS:
        on_def(p, d, n, 1);
        break;
    case ON_LAMBDA:
        on_lambda(p, d, n);
        break;
    case ON_ASSIGN:
        on_assign(p, d, n);
        break;
    case ON_COMMENT:
        on_comment(p, d, n);
        break;
    case ON_IMPORT:
        on_import(p, n, 0);
        break;
    case ON_IMPORT_FROM:
        on_import(p, n, 1);
        break;
    case ON_WITH_ITEM:
        on_with_item(p, n);
        break;
    case ON_LOOP:
        on_loop_target(p, n);
        break;
    case ON_EXCEPT:
        on_except(p, n);
        break;
    case ON_AUGASSIGN:
        on_augassign(p, n);
        break;
    case ON_WALRUS:
        on_walrus(p, n);
        break;
    case ON_TYPE_ALIAS:
        on_type_alias(p, n);
        break;
    case ON_STRING:
        return plain_string(p, n);
    default:
        break;
    }
    return 0;
}

static void leave(struct lang_python *p, uint32_t d)
{
    if (p->frames[d].pushed)
        p->scopes.count--;
}

/* Returns 0, or -1 when the tree is deeper than LANG_PYTHON_MAX_DEPTH. */
static int walk(struct lang_python *p)
{
    TSTreeCursor *c = &p->cur;
    uint32_t d = 0;
    int skip = enter(p, 0);
    for (;;) {
        /* a skipped string is at most two levels deep: too deep a tree still fails */
        if ((!skip || d + 2 >= LANG_PYTHON_MAX_DEPTH) && ts_tree_cursor_goto_first_child(c)) {
            if (++d >= LANG_PYTHON_MAX_DEPTH)
                return -1;
            skip = enter(p, d);
            continue;
        }
        for (;;) {
            leave(p, d);
            if (d == 0)
                return 0;
            if (ts_tree_cursor_goto_next_sibling(c)) {
                skip = enter(p, d);
                break;
            }
            ts_tree_cursor_goto_parent(c);
            d--;
        }
    }
}

#define LIST_TO_OUT(vec, n_field, field_, T)                                \
    do {                                                                    \
        p->out->n_field = p->vec.count;                                     \
        p->out->field_ = NULL;                                              \
        if (p->vec.count) {                                                 \
            T **a_ = pith_arena_alloc(p->arena, p->vec.count * sizeof *a_); \
            for (size_t i_ = 0; i_ < p->vec.count; i_++)                    \
                a_[i_] = &p->vec.items[i_];                                 \
            p->out->field_ = a_;                                            \
        }                                                                   \
    } while (0)

int lang_python_extract(struct lang_python *p,
                        struct pith_arena *arena,
                        Pith__FileFacts *out,
                        const char *module,
                        const char *src,
                        size_t len)
{
    p->arena = arena;
    p->out = out;
    p->src = src;
    p->syms.count = p->imports.count = p->calls.count = p->binds.count = 0;
    p->all.count = p->comments.count = p->scopes.count = p->tmp.count = 0;

    /* lines: 1-based end of the module symbol */
    uint32_t lines = 0, last_col = 0;
    for (const char *q = src, *e = src + len; q < e;) {
        const char *nl = memchr(q, '\n', (size_t)(e - q));
        if (!nl) {
            lines++;
            last_col = (uint32_t)(e - q);
            break;
        }
        lines++;
        last_col = (uint32_t)(nl - q);
        q = nl + 1;
    }
    out->line_count = lines;
    if (len > UINT32_MAX - 1) {
        out->status = PITH__FILE_STATUS__FILE_SKIPPED_PARSE;
        out->skip_reason = (char *)"file too large for the parser";
        return PITH_EPARSE;
    }
    p->len = (uint32_t)len;

    TSTree *tree = ts_parser_parse_string(p->parser, NULL, src, (uint32_t)len);
    if (!tree) {
        ts_parser_reset(p->parser);
        out->status = PITH__FILE_STATUS__FILE_SKIPPED_PARSE;
        out->skip_reason = (char *)"the parser gave up";
        return PITH_EPARSE;
    }
    TSNode root = ts_tree_root_node(tree);

    const char *dot = strrchr(module, '.');
    Pith__Symbol init = PITH__SYMBOL__INIT;
    pith_vec_push(&p->syms, init);
    Pith__Symbol *m = &p->syms.items[0];
    m->kind = PITH__SYMBOL_KIND__SYMBOL_MODULE;
    m->name = pith_arena_strdup(arena, dot ? dot + 1 : module);
    m->start_line = 1;
    m->end_line = lines ? lines : 1;
    m->end_col = last_col;
    push_scope(p, 1);
    {
        uint32_t count = ts_node_named_child_count(root);
        for (uint32_t i = 0; i < count; i++) {
            TSNode c = ts_node_named_child(root, i);
            if (ts_node_symbol(c) == p->s.comment)
                continue;
            if (ts_node_symbol(c) == p->s.expression_statement &&
                ts_node_named_child_count(c) == 1) {
                char *v = literal_value(p, ts_node_named_child(c, 0));
                if (v)
                    m->docstring = cleandoc(p, v);
            }
            break;
        }
    }

    p->cur = ts_tree_cursor_new(root);
    p->aux = ts_tree_cursor_new(root);
    int deep = walk(p);
    if (deep >= 0 && p->ir)
        ir_python_lower(p->ir, arena, out, root, src, p->len, p->syms.items, p->syms.count);
    ts_tree_cursor_delete(&p->cur);
    ts_tree_cursor_delete(&p->aux);
    ts_tree_delete(tree);
    if (deep < 0) {
        p->syms.count = p->imports.count = p->calls.count = p->binds.count = p->all.count = 0;
        out->has_all = 0;
        out->status = PITH__FILE_STATUS__FILE_SKIPPED_PARSE;
        out->skip_reason = pith_arena_strdup(arena, "syntax tree deeper than 4000 levels");
        return PITH_EPARSE;
    }
    finish_comments(p);

    LIST_TO_OUT(syms, n_symbols, symbols, Pith__Symbol);
    LIST_TO_OUT(imports, n_imports, imports, Pith__Import);
    LIST_TO_OUT(calls, n_calls, calls, Pith__CallSite);
    LIST_TO_OUT(binds, n_bindings, bindings, Pith__Binding);
    out->n_all_names = p->all.count;
    out->all_names = p->all.count ? p->all.items : NULL;
    return 0;
}

char *lang_python_module_name(struct pith_arena *arena, const char *path, int *is_package)
{
    size_t n = strlen(path);
    *is_package = 0;
    if (n >= 3 && !strcmp(path + n - 3, ".py"))
        n -= 3;
    const char *base = path + n;
    while (base > path && base[-1] != '/')
        base--;
    if ((size_t)(path + n - base) == 8 && !memcmp(base, "__init__", 8)) {
        *is_package = 1;
        n = base > path ? (size_t)(base - 1 - path) : 0;
    }
    char *m = pith_arena_strndup(arena, path, n);
    for (char *q = m; *q; q++) {
        if (*q == '/')
            *q = '.';
    }
    return m;
}

int extract_python_buffer(const unsigned char *data, size_t len, struct pith_buf *out)
{
    struct lang_python *p = lang_python_new();
    struct pith_arena arena;
    pith_arena_init(&arena);
    Pith__FileFacts ff = PITH__FILE_FACTS__INIT;
    ff.path = (char *)"fuzz.py";
    ff.language = (char *)"python";
    ff.module = (char *)"fuzz";
    ff.size = len;
    ff.content_hash = pith_hash64(data, len);
    int err = lang_python_extract(p, &arena, &ff, "fuzz", (const char *)data, len);
    if (out) {
        pith_buf_clear(out);
        size_t n = pith__file_facts__get_packed_size(&ff);
        pith_buf_grow(out, n);
        out->len = pith__file_facts__pack(&ff, (uint8_t *)out->ptr);
        out->ptr[out->len] = '\0';
    }
    pith_arena_release(&arena);
    lang_python_free(p);
    return err;
}
