'''Doc with \x41 \u00e9 \U0001F600 \101 \N{BULLET} and a \
continued line.'''
b = rb"raw\n" + f"{call(x)!r:>10}" + u'uni' + """tri"ple"""
s = ("a" "b"
     'c')
__all__ = ["a", "b" "c", f"x", 3]
def f(x=")", *, y="(", **z): return g(x)(y)[0](z)
