/* Tests of the gitignore matcher (wildmatch and rule precedence) and the repository walker. */
#include "tests/harness/harness.h"

#include "common/file.h"
#include "extract/ignore.h"
#include "extract/walk.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

PITH_TEST(extract_wildmatch)
{
    static const struct {
        const char *pattern, *text;
        int match;
    } cases[] = {
        { "foo", "foo", 1 },
        { "foo", "bar", 0 },
        { "???", "foo", 1 },
        { "??", "foo", 0 },
        { "*", "foo", 1 },
        { "f*", "foo", 1 },
        { "*f", "foo", 0 },
        { "*foo*", "foo", 1 },
        { "*ob*a*r*", "foobar", 1 },
        { "*ab", "aaaaaaabababab", 1 },
        { "foo\\*", "foo*", 1 },
        { "foo\\*bar", "foobar", 0 },
        { "f\\\\oo", "f\\oo", 1 },
        { "*[al]?", "ball", 1 },
        { "[ten]", "ten", 0 },
        { "**[!te]", "ten", 1 },
        { "**[!ten]", "ten", 0 },
        { "t[a-g]n", "ten", 1 },
        { "t[!a-g]n", "ten", 0 },
        { "t[!a-g]n", "ton", 1 },
        { "t[^a-g]n", "ton", 1 },
        { "a[]]b", "a]b", 1 },
        { "a[]-]b", "a-b", 1 },
        { "a[]-]b", "a]b", 1 },
        { "a[]-]b", "aab", 0 },
        { "a[]a-]b", "aab", 1 },
        { "]", "]", 1 },
        { "[\\]]", "]", 1 },
        { "[!]-]", "a", 1 },
        { "foo*bar", "foo/baz/bar", 0 },
        { "foo**bar", "foo/baz/bar", 0 },
        { "foo?bar", "foo/bar", 0 },
        { "foo[/]bar", "foo/bar", 0 },
        { "*/foo", "bar/baz/foo", 0 },
        { "**/foo", "foo", 1 },
        { "**/foo", "XXX/foo", 1 },
        { "**/foo", "bar/baz/foo", 1 },
        { "**/bar*", "foo/bar/baz", 0 },
        { "**/bar/*", "deep/foo/bar/baz", 1 },
        { "**/bar/*", "deep/foo/bar/baz/", 0 },
        { "**/bar/**", "deep/foo/bar/baz/", 1 },
        { "**/bar/*", "deep/foo/bar", 0 },
        { "**/bar/**", "deep/foo/bar/", 1 },
        { "**/bar**", "foo/bar/baz", 0 },
        { "*/bar/**", "foo/bar/baz/x", 1 },
        { "*/bar/**", "deep/foo/bar/baz/x", 0 },
        { "**/bar/*/*", "deep/foo/bar/baz/x", 1 },
        { "a/**/b", "a/b", 1 },
        { "a/**/b", "a/x/y/b", 1 },
        { "a/**", "a/x/y", 1 },
        { "a/**", "a", 0 },
        { "[[:alpha:]][[:digit:]][[:upper:]]", "a1B", 1 },
        { "[[:digit:][:upper:][:space:]]", "a", 0 },
        { "[[:digit:][:upper:][:space:]]", "A", 1 },
        { "[[:nope:]]", "a", 0 },
        { "-*-*-*-*-*-*-12-*-*-*-m-*-*-*",
          "-adobe-courier-bold-o-normal--12-120-75-75-m-70-iso8859-1", 1 },
        { "-*-*-*-*-*-*-12-*-*-*-m-*-*-*",
          "-adobe-courier-bold-o-normal--12-120-75-75-X-70-iso8859-1", 0 },
        { "XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*",
          "XXX/adobe/courier/bold/o/normal//12/120/75/75/m/70/iso8859/1", 1 },
        { "**/*a*b*g*n*t", "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txt", 1 },
        { "**/*a*b*g*n*t", "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txtz", 0 },
        { "[abc", "a", 0 },
        { "ab\\", "ab", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = ignore_wildmatch(cases[i].pattern, cases[i].text);
        if (got != cases[i].match)
            pith_test_fail(__FILE__, __LINE__, "wildmatch(%s, %s) = %d", cases[i].pattern,
                           cases[i].text, got);
    }
    /* many stars against a long non-match must stay fast (no exponential backtracking) */
    clock_t t0 = clock();
    CHECK(!ignore_wildmatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    CHECK(!ignore_wildmatch("**/**/**/**/**/**/**/**/**/**/x",
                            "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/y"));
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
}

struct ignore_case {
    const char *path;
    int is_dir, ignored;
};

static void
check_cases(const struct ignore_list *l, const struct ignore_case *c, size_t n, int line)
{
    for (size_t i = 0; i < n; i++) {
        int got = ignore_match(l, c[i].path, c[i].is_dir);
        if (got != c[i].ignored)
            pith_test_fail(__FILE__, line, "%s%s: ignored=%d, expected %d", c[i].path,
                           c[i].is_dir ? "/" : "", got, c[i].ignored);
    }
}

PITH_TEST(extract_ignore_rules)
{
    static const char root[] = "# a comment\n"
                               "*.log\n"
                               "!keep.log\n"
                               "build/\n"
                               "/root_only.py\n"
                               "docs/*.py\n"
                               "**/gen/**\n"
                               "\\#hash.py\n"
                               "\\!bang.py\n"
                               "trailing.py   \n"
                               "escaped\\ \n"
                               "crlf.py\r\n"
                               "\n"
                               "out/\n"
                               "!out/x.py\n"
                               "[Tt]emp?.py\n";
    struct ignore_list l;
    ignore_init(&l);
    ignore_add_text(&l, "", root, sizeof root - 1);
    static const struct ignore_case cases[] = {
        { "a.log", 0, 1 },        { "dir/b.log", 0, 1 },
        { "keep.log", 0, 0 },     { "dir/keep.log", 0, 0 },
        { "build", 1, 1 },        { "build", 0, 0 },
        { "x/build", 1, 1 },      { "x/build/y.py", 0, 1 },
        { "root_only.py", 0, 1 }, { "sub/root_only.py", 0, 0 },
        { "docs/a.py", 0, 1 },    { "docs/sub/a.py", 0, 0 },
        { "x/gen/y.py", 0, 1 },   { "gen/y.py", 0, 1 },
        { "gen", 1, 0 },          { "#hash.py", 0, 1 },
        { "!bang.py", 0, 1 },     { "bang.py", 0, 0 },
        { "trailing.py", 0, 1 },  { "# a comment", 0, 0 },
        { "escaped ", 0, 1 },     { "escaped", 0, 0 },
        { "crlf.py", 0, 1 },      { "out/x.py", 0, 1 }, /* parent excluded: no re-include */
        { "Temp1.py", 0, 1 },     { "temp22.py", 0, 0 },
        { "ok.py", 0, 0 },
    };
    check_cases(&l, cases, sizeof cases / sizeof cases[0], __LINE__);
    ignore_release(&l);

    /* nested files: a deeper file wins, and its rules apply only below it */
    static const char top[] = "*.gen.py\nvendor\n";
    static const char sub[] = "!keep.gen.py\n/local.py\nnested/deep.py\n";
    ignore_init(&l);
    ignore_add_text(&l, "", top, sizeof top - 1);
    ignore_add_text(&l, "sub", sub, sizeof sub - 1);
    static const struct ignore_case nested[] = {
        { "a.gen.py", 0, 1 },
        { "sub/a.gen.py", 0, 1 },
        { "sub/keep.gen.py", 0, 0 },
        { "keep.gen.py", 0, 1 },
        { "sub/x/keep.gen.py", 0, 0 },
        { "sub/local.py", 0, 1 },
        { "sub/x/local.py", 0, 0 },
        { "local.py", 0, 0 },
        { "subx/local.py", 0, 0 },
        { "sub/nested/deep.py", 0, 1 },
        { "sub/a/nested/deep.py", 0, 0 },
        { "vendor/lib.py", 0, 1 },
        { "sub/vendor", 1, 1 },
    };
    check_cases(&l, nested, sizeof nested / sizeof nested[0], __LINE__);
    ignore_release(&l);
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    pith_mkdir_p(path);
    *slash = '/';
    CHECK_EQ_INT(pith_file_write_atomic(path, text, strlen(text)), 0);
}

PITH_TEST(extract_walk_repo)
{
    const char *dir = pith_test_tmpdir();
    put(dir, ".git/HEAD", "ref: refs/heads/main\n");
    put(dir, ".git/hooks/x.py", "");
    put(dir, ".git/info/exclude", "excluded_by_info.py\n");
    put(dir, ".gitignore", "build/\n*.gen.py\n");
    put(dir, ".pithignore", "secret/\n");
    put(dir, "a.py", "");
    put(dir, "a/b.py", "");
    put(dir, "stub.pyi", "");
    put(dir, "notes.txt", "");
    put(dir, "excluded_by_info.py", "");
    put(dir, "x.gen.py", "");
    put(dir, "build/b.py", "");
    put(dir, "secret/s.py", "");
    put(dir, "pkg/__init__.py", "");
    put(dir, "pkg/.gitignore", "!keep.gen.py\nlocal.py\n");
    put(dir, "pkg/keep.gen.py", "");
    put(dir, "pkg/local.py", "");
    put(dir, "pkg/sub/local.py", "");
    put(dir, "pkg/sub/.git", "gitdir: ../../.git/modules/sub\n");
    char from[1024], to[1024];
    snprintf(to, sizeof to, "%s/link_dir", dir);
    CHECK_EQ_INT(symlink("pkg", to), 0);
    snprintf(to, sizeof to, "%s/link_file.py", dir);
    CHECK_EQ_INT(symlink("a.py", to), 0);
    snprintf(to, sizeof to, "%s/dangling.py", dir);
    CHECK_EQ_INT(symlink("nowhere.py", to), 0);
    snprintf(from, sizeof from, "%s/", dir); /* a trailing '/' on the root is fine */

    struct walk_list l = { 0 };
    CHECK_EQ_INT(walk_repo(&l, from, ".py"), 0);
    static const char *const want[] = { "a.py", "a/b.py", "link_file.py", "pkg/__init__.py",
                                        "pkg/keep.gen.py" };
    CHECK_EQ_INT(l.count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < l.count && i < sizeof want / sizeof want[0]; i++)
        CHECK_EQ_STR(l.items[i], want[i]);
    walk_list_release(&l);

    struct walk_list none = { 0 };
    snprintf(to, sizeof to, "%s/missing", dir);
    CHECK(walk_repo(&none, to, ".py") < 0);
    CHECK_EQ_INT(none.count, 0);
    walk_list_release(&none);
}
