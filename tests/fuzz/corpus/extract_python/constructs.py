"""Module doc.

    Indented second paragraph.
"""
import os.path
import a.b as c, d
from ..x import y as z, w
from . import sibling
from .m import *
from __future__ import annotations

__all__ = ["Decoder", 'helper']
__all__ += ("extra",)


@register
@route("/x", methods=["GET"])
def helper(a, /, b: int = 2, *args, c, d=3, **kw) -> str:
    """Helper.

    Details here.
    """
    # first comment
    x = Foo(a)  # trailing comment
    y = os.path.join
    return a.b(x).c(y)


class Decoder(json.JSONDecoder, Generic[T], metaclass=Meta):
    '''Decodes things.'''

    kind = "plain"

    def __init__(self, strict=True):
        self.strict = strict
        self.scanner = make_scanner(self)
        self.items: list = []
        self.size: int = compute()

    async def raw_decode(self, s, idx=0):
        import json as j
        with open(s) as fh, lock:
            data = fh.read()

        def inner(n):
            # inner comment
            return n + 1

        f = lambda v, w=1: v * helper(w)
        return inner(idx)

    @staticmethod
    def sort(items, *, key=lambda i: i.name, reverse=False):
        return sorted(items, key=key)


def outer():
    def middle():
        def deepest():
            return 1

        return deepest
    return middle


total = sum(x for x in range(3))
a = b = Decoder()
alias = Decoder
(p, q) = 1, 2
if (n := len(total)) > 1:
    print(
        n,
        "s p a c e",
    )
