def ok(x):
    return x

def broken(:
    pass

class Still:
    def works(self):
        return ok(1)
