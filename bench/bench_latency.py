#!/usr/bin/env python3
"""Latency of every query operation against a warm mmap (issue 6, item 7).

Starts one `pith-serve -i INDEX --stdio` process (the index is mapped once), sends each query
line REPS times and measures the time until its answer line arrives; prints p50/p99 per
operation. Then the time from process start to the first answer (`pith query`, a fresh process
per call) and ripgrep over the same tree for the same question, for reference.

usage: bench/bench_latency.py INDEX REPO [REPS=200]
"""
import os, shutil, subprocess, sys, time

index, repo = sys.argv[1], sys.argv[2]
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 200
B = os.environ.get("PITH_BUILD", "build")

QUERIES = [
    ("symbol", "symbol json/decoder.py:JSONDecoder.raw_decode"),
    ("callers", "callers json/decoder.py:JSONDecoder.raw_decode"),
    ("callers d3", "callers posixpath.py:join --depth 3"),
    ("callees", "callees json/decoder.py:JSONDecoder.decode"),
    ("impact", "impact json/decoder.py:JSONDecoder.raw_decode"),
    ("search", "search parse http response headers"),
    ("context", "context json/decoder.py:JSONDecoder.raw_decode --budget 2000"),
    ("overview", "overview json --budget 1000"),
    ("cfg", "cfg json/decoder.py:JSONDecoder.raw_decode"),
    ("dfg", "dfg json/decoder.py:JSONDecoder.raw_decode"),
    ("slice", "slice json/decoder.py:353"),
    ("slice inter", "slice json/decoder.py:353 --interprocedural"),
    ("path", "path json/__init__.py:loads json/decoder.py:JSONDecoder.raw_decode"),
    ("cycles", "cycles"),
    ("dead", "dead"),
]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


srv = subprocess.Popen([f"{B}/pith-serve", "-i", index, "--stdio"], stdin=subprocess.PIPE,
                       stdout=subprocess.PIPE, bufsize=0)
out = srv.stdout


def ask(line):
    t = time.perf_counter()
    srv.stdin.write((line + "\n").encode())
    ans = out.readline()
    return time.perf_counter() - t, ans


print(f"warm mmap, one pith-serve --stdio process, {reps} calls per operation (slow ones fewer)")
print(f"{'operation':<13} {'p50 ms':>9} {'p99 ms':>9}  answer bytes")
for name, q in QUERIES:
    ask(q)  # warm
    t0, _ = ask(q)
    n = reps if t0 < 0.05 else max(5, min(reps, int(2.0 / max(t0, 1e-6))))
    ts, size = [], 0
    for _ in range(n):
        dt, ans = ask(q)
        ts.append(dt)
        size = len(ans)
    print(f"{name:<13} {pct(ts, 50) * 1e3:9.3f} {pct(ts, 99) * 1e3:9.3f}  {size}")
srv.stdin.close()
srv.wait()

def wall(cmd, n=30):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
    return pct(ts, 50) * 1e3, pct(ts, 99) * 1e3

p50, p99 = wall([f"{B}/pith", "query", "-i", index, "callers",
                 "json/decoder.py:JSONDecoder.raw_decode"])
print(f"\nprocess start -> first answer (pith query callers): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
if shutil.which("rg"):
    p50, p99 = wall(["rg", "-n", "--no-heading", r"\.raw_decode\(", repo])
    print(f"ripgrep '\\.raw_decode\\(' over the same tree:    p50 {p50:.1f} ms, p99 {p99:.1f} ms")
