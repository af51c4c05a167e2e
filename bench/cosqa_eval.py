#!/usr/bin/env python3
"""CoSQA-500 retrieval through pith (helper of bench/bench_cosqa.sh).

  cosqa_eval.py write DATA_DIR REPO_DIR        one file f<id>.py per function of code_idx_map.txt
  cosqa_eval.py score DATA_DIR INDEX SPLIT K MODE...   runs `pith query search --json -k K
                                                       --mode MODE` for every query of SPLIT and
                                                       prints MRR and R@1/5/10 per mode
                                                       (MODE fused:W adds --vector-weight W)

A hit maps back to a function id by its file name; hits of the same file after the first are
dropped (a function and its module symbol share a file). A gold function outside the top K
counts reciprocal rank 0 (MRR@K)."""
import concurrent.futures
import json
import os
import subprocess
import sys

PITH = os.environ.get("PITH", "build/pith")


def write(data, repo):
    with open(os.path.join(data, "code_idx_map.txt"), encoding="utf-8") as f:
        code = json.load(f)
    os.makedirs(repo, exist_ok=True)
    for src, i in code.items():
        with open(os.path.join(repo, "f%d.py" % i), "w", encoding="utf-8") as f:
            f.write(src)
            if not src.endswith("\n"):
                f.write("\n")
    print("wrote %d functions to %s" % (len(code), repo))


def ask(index, k, mode, query):
    m, _, w = mode.partition(":")  # "fused:0.1": fused with --vector-weight 0.1
    argv = [PITH, "query", "-i", index, "search", "--json", "-k", str(k), "--mode", m]
    if w:
        argv += ["--vector-weight", w]
    p = subprocess.run(argv + ["--", query], capture_output=True, text=True)
    if p.returncode not in (0, 1) and not p.stdout:
        raise SystemExit("pith failed on %r: %s" % (query, p.stderr.strip()))
    ids = []
    if p.stdout.strip():
        for h in json.loads(p.stdout)["hits"]:
            name = os.path.basename(h["symbol"]["file"])
            if name.startswith("f") and name.endswith(".py"):
                i = int(name[1:-3])
                if i not in ids:
                    ids.append(i)
    return ids


def score(data, index, split, k, modes):
    with open(os.path.join(data, "cosqa-retrieval-%s-500.json" % split), encoding="utf-8") as f:
        items = json.load(f)
    for mode in modes:
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
            answers = list(ex.map(lambda it: ask(index, k, mode, it["doc"]), items))
        rr, r1, r5, r10 = 0.0, 0, 0, 0
        for it, ids in zip(items, answers):
            g = it["retrieval_idx"]
            if g in ids:
                rank = ids.index(g) + 1
                rr += 1.0 / rank
                r1 += rank <= 1
                r5 += rank <= 5
                r10 += rank <= 10
        n = len(items)
        print("%-8s %s  MRR@%d %.4f  R@1 %.3f  R@5 %.3f  R@10 %.3f  (%d queries)" %
              (mode, split, k, rr / n, r1 / n, r5 / n, r10 / n, n), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 7 and sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6:])
    else:
        raise SystemExit(__doc__)
