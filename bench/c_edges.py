#!/usr/bin/env python3
"""Compares pith's direct C call edges with clang's debug.DumpCallGraph.

usage: c_edges.py PITH_EDGE_LINES CLANG_CALLGRAPH_DUMP [--show N] [--normalize-counter]

PITH_EDGE_LINES: `pith-analyze --dump` output ("edge CALLER -> CALLEE KIND CONF L..:.. name=...").
CLANG_CALLGRAPH_DUMP: stderr of clang --analyze -analyzer-checker=debug.DumpCallGraph.
Edges are compared as (caller name, callee name) pairs, once each: clang's graph has one edge
per pair, and it lists only callees with a body in the unit (it leaves out functions that are
only declared) as well as library functions (memcpy), like pith's external edges, which
count: a call bound by USR to a declaration outside the repository. Prints precision and recall of
pith's direct (direct + constructor) edges against clang's, then the differences."""
import re
import sys


COUNTER = re.compile(r'__compiletime_assert_\d+')


def norm(name):
    # BUILD_BUG_ON()/compiletime_assert() declare and call __compiletime_assert_<__COUNTER__>:
    # the number differs in every unit that includes the same header function, while pith
    # records a header function once (from the first unit that reaches it)
    return COUNTER.sub('__compiletime_assert_#', name) if NORMALIZE else name


NORMALIZE = False


def bare(q):
    # "sqlite3.c:foo" -> "foo"
    q = q.split(':', 1)[1] if ':' in q else q
    return q


def pith_edges(path):
    edges = set()
    kinds = {}
    for line in open(path, encoding='utf-8', errors='replace'):
        if not line.startswith('edge '):
            continue
        m = re.match(r'edge (\S+) -> (\S+) (\w+) (\d+) L(\d+):\d+ name=(\S*)', line)
        if not m:
            continue
        caller, callee, kind = m.group(1), m.group(2), m.group(3)
        if callee == '-':
            if kind != 'external':
                continue
            callee = m.group(6)  # a function declared, not defined, in the repository
        pair = (norm(bare(caller)), norm(bare(callee)))
        kinds.setdefault(pair, set()).add(kind)
        if kind in ('direct', 'constructor', 'ambiguous', 'external'):
            edges.add(pair)
    return edges, kinds


def clang_edges(path):
    edges = set()
    for line in open(path, encoding='utf-8', errors='replace'):
        m = re.match(r'\s*Function: (.*?) calls: ?(.*)$', line)
        if not m or m.group(1).strip() == '< root >':
            continue
        caller = m.group(1).strip()
        for callee in m.group(2).split():
            edges.add((norm(caller), norm(callee)))
    return edges


def main():
    global NORMALIZE
    show = 20
    args = sys.argv[1:]
    if '--normalize-counter' in args:
        args.remove('--normalize-counter')
        NORMALIZE = True
    if '--show' in args:
        i = args.index('--show')
        show = int(args[i + 1])
        del args[i:i + 2]
    p, kinds = pith_edges(args[0])
    c = clang_edges(args[1])
    tp = p & c
    prec = len(tp) / len(p) if p else 1.0
    rec = len(tp) / len(c) if c else 1.0
    print(f'pith direct edges {len(p)}, clang edges {len(c)}, common {len(tp)}')
    print(f'precision {prec:.4f}  recall {rec:.4f}')
    extra = sorted(p - c)
    missing = sorted(c - p)
    print(f'only in pith: {len(extra)}')
    for e in extra[:show]:
        print(f'  {e[0]} -> {e[1]}')
    print(f'only in clang: {len(missing)}')
    for e in missing[:show]:
        k = ','.join(sorted(kinds.get(e, []))) or 'no pith edge'
        print(f'  {e[0]} -> {e[1]}  (pith: {k})')


main()
