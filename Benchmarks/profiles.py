#!/usr/bin/env python3
"""Model x profile x thinking-setting benchmark for issue 6 (embedded models as reasoners).

Each configuration reranks the BM25 top 20 of scifact queries with `rank1 eval --rerank` (release build) and
reports nDCG@10 of BM25 and of the reranking, the median reasoning length, the share of chains that repeat
themselves and seconds per passage (8 in parallel). Fusion with BM25 is swept offline over the traces for
each configuration: the weight is tuned on the train split, then applied unchanged to the test split.

  python3 Benchmarks/profiles.py --split train --queries 12 --configs qwen:chatml,qwen:rank1 --out /tmp/prof
  python3 Benchmarks/profiles.py --split test --queries 100 --configs qwen:chatml --out /tmp/prof
  python3 Benchmarks/profiles.py --summary /tmp/prof
"""
import argparse, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("RANK1_BIN", os.path.join(ROOT, ".build/release/rank1"))
CORPUS = os.path.join(ROOT, "../shared/corpora/scifact")
WEIGHTS = [1.0, 0.7, 0.5, 0.3, 0.2, 0.1, 0.05, 0.0]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return p.stdout


def ndcg(qrels, run_path):
    out = run([BIN, "eval", "--qrels", qrels, run_path, "--json"])
    return json.loads(out)["ndcg@10"]


def fused_run(folder, weight):
    """Writes the top 20 reordered by weight*rank1 + (1-weight)*minmax(bm25), then BM25's rest."""
    traces = [json.loads(l) for l in open(os.path.join(folder, "traces.jsonl"))]
    by_q = {}
    for t in traces:
        by_q.setdefault(t["query"], []).append(t)
    bm25 = {}
    for line in open(os.path.join(folder, "bm25.trec")):
        q, _, d, r, s, _ = line.split()
        bm25.setdefault(q, []).append(d)
    path = os.path.join(folder, f"fused-{weight}.trec")
    with open(path, "w") as f:
        for q, docs in bm25.items():
            judged = by_q.get(q, [])
            lo = min((t["bm25"] for t in judged), default=0)
            hi = max((t["bm25"] for t in judged), default=0)
            def key(t):
                nb = (t["bm25"] - lo) / (hi - lo) if hi > lo else 1
                return (-(weight * t["score"] + (1 - weight) * nb), t["bm25_rank"])
            top = [t["doc"] for t in sorted(judged, key=key)]
            rest = [d for d in docs if d not in set(top)]
            for rank, d in enumerate(top + rest):
                f.write(f"{q} Q0 {d} {rank + 1} {len(docs) - rank} fused\n")
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="train")
    ap.add_argument("--queries", type=int, default=12)
    ap.add_argument("--configs", default="qwen:chatml")
    ap.add_argument("--budget", type=int, default=96)
    ap.add_argument("--min-tokens", type=int, default=40)
    ap.add_argument("--max-passage-tokens", type=int, default=256)
    ap.add_argument("--out", default="/tmp/rank1-profiles")
    ap.add_argument("--index", default="/tmp/rank1-profiles/scifact-index")
    ap.add_argument("--summary")
    a = ap.parse_args()
    if a.summary:
        return summary(a.summary)
    # (Re)built when missing or unreadable by this binary (an older index format).
    if subprocess.run([BIN, "check", a.index], capture_output=True).returncode != 0:
        run([BIN, "index", CORPUS, "--out", a.index, "--quiet"])
    qrels = os.path.join(CORPUS, "qrels", a.split + ".tsv")
    for config in a.configs.split(","):
        # model:profile[:noguard][:min=N]
        parts = config.split(":")
        model, profile = parts[0], parts[1]
        guard = "noguard" not in parts
        mins = next((int(p[4:]) for p in parts if p.startswith("min=")), a.min_tokens)
        name = f"{a.split}-{config.replace(':', '_').replace('=', '')}"
        folder = os.path.join(a.out, name)
        cmd = [BIN, "eval", "--qrels", qrels, "--index", a.index, "--queries", os.path.join(CORPUS, "queries.jsonl"),
               "--rerank", "20", "--max-queries", str(a.queries), "--model", model, "--profile", profile,
               "--budget", str(a.budget), "--min-tokens", str(mins), "--max-passage-tokens", str(a.max_passage_tokens),
               "--parallel", "8", "--no-cache", "--json", "--out", folder]
        if not guard:
            cmd.append("--no-repetition-guard")
        print("running", " ".join(cmd), flush=True)
        result = json.loads(run(cmd))
        result["config"] = config
        result["split"] = a.split
        result["fusion"] = {str(w): ndcg(qrels, fused_run(folder, w)) for w in WEIGHTS}
        json.dump(result, open(os.path.join(folder, "result.json"), "w"), indent=1)
        print(json.dumps(result), flush=True)


def summary(out):
    rows = []
    for d in sorted(os.listdir(out)):
        p = os.path.join(out, d, "result.json")
        if os.path.exists(p):
            rows.append(json.load(open(p)))
    print("| split | model:profile | queries | BM25 | Rank1 | " + " | ".join(f"fused {w}" for w in WEIGHTS[1:-1])
          + " | median tokens | repetitive | stopped by guard | s/passage |")
    print("|" + "---|" * (10 + len(WEIGHTS) - 2))
    for r in rows:
        f = r["fusion"]
        print(f"| {r['split']} | {r['config']} | {r['queries']} | {r['bm25_ndcg@10']:.4f} | {r['reranked_ndcg@10']:.4f} | "
              + " | ".join(f"{f[str(w)]:.4f}" for w in WEIGHTS[1:-1])
              + f" | {r['median_reasoning_tokens']:.0f} | {100 * r['repetitive_share']:.1f}% | {r['stopped_repeating']} | "
              + f"{r['seconds_per_passage']:.2f} |")


if __name__ == "__main__":
    main()
