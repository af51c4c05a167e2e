@a.b(c=lambda: d())
@e
class A(B[C], D, metaclass=M, **kw):
    x: int
    y: "Y" = Y()
    async def m(self, /, a, *args, b: int = 1, **kw) -> "A":
        with f() as (g, h), i() as self.j:
            k = l = self.n = (o := p())
            return [lambda q=r(): s(q) for t in u(v)]
    class Inner:
        def deep(self):
            def deeper():
                import os.path as osp, sys
                from ...pkg.mod import (x as y,
                                        z)
                return type(self).name
            return deeper
x = ((((((((((1))))))))))
type Alias[T] = list[T]
def g[T: int](a: T) -> T: pass
