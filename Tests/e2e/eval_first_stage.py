#!/usr/bin/env python3
"""`rank1 eval --rerank K --run FILE` (issue 14): the first stage is a given run, a TREC file or the Rank1
reference's JSON form; exactly its top K candidates per query are judged, in its order; ids the index lacks are a
clear error listing the first few (and the count), or skipped and listed with --skip-missing."""
import collections
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary, toy_checkpoint  # noqa: E402

check = Checks("eval first stage")
shared = os.environ["RANK1_SHARED"]
c = os.path.join(shared, "corpora", "scifact")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        toy = os.path.join(tmp, "judge-toy.gguf")
        toy_checkpoint(toy)
        idx = os.path.join(tmp, "idx")
        subprocess.run([binary, "index", c, "--out", idx, "--quiet"], check=True)
        bm = os.path.join(tmp, "bm25.trec")
        subprocess.run([binary, "search", idx, "--queries", os.path.join(c, "queries.jsonl"), "--k", "30", "--trec", bm], check=True)
        # A first stage unlike ours: BM25's ranks 11-30, best first by a made-up score, 7 candidates a query.
        run = collections.defaultdict(dict)
        for line in open(bm):
            q, _, d, rank, _, _ = line.split()
            if 11 <= int(rank) <= 17:
                run[q][d] = 100.0 - int(rank)
        trec = os.path.join(tmp, "given.trec")
        with open(trec, "w") as f:
            for q, docs in run.items():
                for r, (d, s) in enumerate(sorted(docs.items(), key=lambda x: -x[1])):
                    f.write(f"{q} Q0 {d} {r + 1} {s} given\n")
        js = os.path.join(tmp, "given.json")
        json.dump(run, open(js, "w"))

        def ev(path, out, *extra):
            return subprocess.run([binary, "eval", "--qrels", os.path.join(c, "qrels", "test.tsv"), "--index", idx, "--queries",
                                   os.path.join(c, "queries.jsonl"), "--rerank", "5", "--max-queries", "6", "--run", path, "--out",
                                   os.path.join(tmp, out), "--model", toy, "--no-cache", "--threads", "2", *extra],
                                  capture_output=True, text=True, timeout=300)

        for label, path in (("TREC", trec), ("JSON", js)):
            r = ev(path, label)
            judged = [json.loads(l) for l in open(os.path.join(tmp, label, "traces.jsonl"))] if r.returncode == 0 else []
            want = set()
            for q in {t["query"] for t in judged}:
                want |= {(q, d) for d, _ in sorted(run[q].items(), key=lambda x: -x[1])[:5]}
            got = {(t["query"], t["doc"]) for t in judged}
            check(r.returncode == 0 and len(judged) == 30 and got == want,
                  f"--run with the {label} form judges exactly its top 5 candidates of each of 6 queries ({len(got)} pairs)",
                  r.stderr[-300:])
            first = open(os.path.join(tmp, label, "first-stage.trec")).read().split("\n")[0].split()
            check(first[2] == sorted(run[first[0]].items(), key=lambda x: -x[1])[0][0], f"{label}: the first stage is written in its own order")
        bad = os.path.join(tmp, "missing.trec")
        with open(bad, "w") as f:
            f.write(open(trec).read())
            judged_q = {l.split("\t")[0] for l in open(os.path.join(c, "qrels", "test.tsv")).read().splitlines()[1:]}
            order = [json.loads(l)["_id"] for l in open(os.path.join(c, "queries.jsonl"))]
            first_q = next(q for q in order if q in judged_q and q in run)  # the first query eval takes
            for i in range(7):
                f.write(f"{first_q} Q0 not-a-doc-{i} {90 + i} -{i}.0 given\n")
        r = ev(bad, "missing")
        check(r.returncode == 1 and "7 candidate ids are not in" in r.stderr and "not-a-doc-0" in r.stderr and "…" in r.stderr,
              "ids missing from the index: an error naming the first few and the count", r.stderr[-300:])
        r = ev(bad, "skipped", "--skip-missing")
        check(r.returncode == 0 and "skipping 7 candidates" in r.stderr, "--skip-missing skips and lists them", r.stderr[-300:])
    check.finish()


if __name__ == "__main__":
    main()
