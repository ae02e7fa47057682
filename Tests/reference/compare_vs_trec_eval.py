#!/usr/bin/env python3
"""`rank1 compare` against independent implementations: its per-query nDCG@10 of two runs equals trec_eval's
(pytrec_eval, ndcg_cut_10) on every query, its wins/ties/losses and mean difference follow from those, and its
p-value matches an independent paired randomization test (numpy, 20,000 sign flips) within sampling error."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytrec_eval

binary = os.environ["RANK1_BIN"]
c = os.path.join(os.environ["RANK1_SHARED"], "corpora", "scifact")
passed, failed = 0, 0


def check(ok, label):
    global passed, failed
    passed += bool(ok)
    failed += not ok
    print(f"  {'ok  ' if ok else 'FAIL'} {label}")


def read_run(path):
    run = {}
    for line in open(path):
        q, _, d, _, s, _ = line.split()
        run.setdefault(q, {})[d] = float(s)
    return run


def main():
    qrels = {}
    for line in open(os.path.join(c, "qrels", "test.tsv")).read().splitlines()[1:]:
        q, d, r = line.split("\t")
        qrels.setdefault(q, {})[d] = int(r)
    with tempfile.TemporaryDirectory() as tmp:
        idx = os.path.join(tmp, "idx")
        subprocess.run([binary, "index", c, "--out", idx, "--quiet"], check=True)
        runs = []
        for name, extra in (("a", []), ("b", ["--k1", "1.5", "--b", "0.9"]), ("c", ["--k1", "0.3", "--b", "0.2"])):
            path = os.path.join(tmp, name + ".trec")
            subprocess.run([binary, "search", idx, "--queries", os.path.join(c, "queries.jsonl"), "--k", "100", "--trec", path,
                            *extra], check=True)
            runs.append(path)
        ev = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10"})
        for a, b in ((runs[0], runs[1]), (runs[0], runs[2])):
            out = subprocess.run([binary, "compare", a, b, "--qrels", os.path.join(c, "qrels", "test.tsv"), "--json",
                                  "--permutations", "20000", "--seed", "7"], capture_output=True, text=True, check=True).stdout
            got = json.loads(out)
            ra, rb = ev.evaluate(read_run(a)), ev.evaluate(read_run(b))
            rows = {r["query"]: r for r in got["per_query"]}
            qs = sorted(set(ra) | set(rb))
            worst = max(max(abs(rows[q]["a"] - ra.get(q, {}).get("ndcg_cut_10", 0)),
                            abs(rows[q]["b"] - rb.get(q, {}).get("ndcg_cut_10", 0))) for q in qs)
            check(set(rows) == set(qs) and worst < 1e-9,
                  f"{os.path.basename(b)}: per-query nDCG@10 of both runs = trec_eval's on {len(qs)} queries (max |d| {worst:.1e})")
            d = np.array([rb.get(q, {}).get("ndcg_cut_10", 0) - ra.get(q, {}).get("ndcg_cut_10", 0) for q in qs])
            w, l = int((d > 1e-12).sum()), int((d < -1e-12).sum())
            check((got["wins"], got["losses"], got["ties"]) == (w, l, len(qs) - w - l),
                  f"wins/ties/losses {got['wins']}/{got['ties']}/{got['losses']} = trec_eval's {w}/{len(qs) - w - l}/{l}")
            check(abs(got["mean_difference"] - d.mean()) < 1e-12, f"mean difference {got['mean_difference']:+.4f}")
            rng = np.random.default_rng(12345)
            n = 20000
            signs = rng.choice([-1.0, 1.0], size=(n, len(d)))
            p = ((np.abs((signs * d).sum(axis=1)) >= abs(d.sum()) - 1e-12).sum() + 1) / (n + 1)
            tol = 4 * np.sqrt(max(p * (1 - p), 1e-4) / n) + 1e-4
            check(abs(got["p_value"] - p) <= tol, f"p-value {got['p_value']:.4f} = independent test's {p:.4f} ± {tol:.4f}")
    print(f"compare vs trec_eval and an independent randomization test: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
