#!/usr/bin/env python3
"""Cross-check: `rank1 eval` against trec_eval (pytrec_eval) to 4 decimals, on BM25 runs of three
collections from ../shared/corpora."""
import json
import os
import subprocess
import sys
import tempfile

import pytrec_eval

shared = os.environ["RANK1_SHARED"]
binary = os.environ["RANK1_BIN"]
failed = passed = 0
for name in ("scifact", "cranfield", "cacm"):
    d = os.path.join(shared, "corpora", name)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([binary, "index", d, "--out", tmp + "/idx", "--quiet"], check=True)
        run_path = tmp + "/run"
        subprocess.run([binary, "search", tmp + "/idx", "--queries", d + "/queries.jsonl", "--k", "100", "--trec", run_path], check=True)
        ours = json.loads(subprocess.run([binary, "eval", "--json", "--qrels", d + "/qrels/test.tsv", run_path],
                                         capture_output=True, text=True, check=True).stdout)
        qrels = {}
        with open(d + "/qrels/test.tsv") as f:
            for line in f:
                q, doc, g = line.rstrip("\n").split("\t")
                if g.isdigit():
                    qrels.setdefault(q, {})[doc] = int(g)
        run, run10 = {}, {}
        with open(run_path) as f:
            for line in f:
                q, _, doc, rank, score, _ = line.split()
                run.setdefault(q, {})[doc] = float(score)
                if int(rank) <= 10:
                    run10.setdefault(q, {})[doc] = float(score)
        run = {q: v for q, v in run.items() if q in qrels}
        run10 = {q: v for q, v in run10.items() if q in qrels}
        full = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10", "recall_100", "map"}).evaluate(run)
        top10 = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(run10)
        mean = lambda res, m: sum(v[m] for v in res.values()) / len(res)
        ref = {"ndcg@10": mean(full, "ndcg_cut_10"), "recall@100": mean(full, "recall_100"),
               "map": mean(full, "map"), "mrr@10": mean(top10, "recip_rank")}
        for k, v in ref.items():
            ok = round(ours[k], 4) == round(v, 4)
            passed += ok
            failed += not ok
            print(f"  {name:10s} {k:11s} rank1 {ours[k]:.4f}  trec_eval {v:.4f}  {'ok' if ok else 'MISMATCH'}")
print(f"rank1 eval vs trec_eval: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
