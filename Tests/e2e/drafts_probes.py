#!/usr/bin/env python3
"""Drafts, probes and early exit through `rank1 rerank` (issue 15), on every embedded model and on the generated
Rank1-shaped checkpoint: with --draft on and with --probe on, every chain and score must equal those of the run
with both off (one thread: see README, "Drafts, probes and early exit"); probe events must come, one per sentence,
and agree with the verdict's trajectory; early exit must stop a chain at the probe that decides and take its score.
At two threads the agreement of drafts is measured and printed, not asserted (llama.cpp's one-token attention
splits the cache across threads, so its sums differ from those of a several-token step)."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary, toy_checkpoint  # noqa: E402

check = Checks("drafts, probes and early exit")
shared = os.environ["RANK1_SHARED"]
QUERY = "ALDH1 expression is associated with poorer prognosis for breast cancer primary tumors."


def rerank(index, model, *extra, threads=1):
    # Early exit is on by default for chat profiles: the runs compared here let every chain run to its end unless asked.
    if "--early-exit" not in extra:
        extra = ("--early-exit", "off", *extra)
    out = subprocess.run([binary, "rerank", index, "--query", QUERY, "--k", "3", "--parallel", "1", "--threads", str(threads),
                          "--budget", "40", "--no-cache", "--jsonl", "--model", model, *extra],
                         capture_output=True, text=True, timeout=900)
    events = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    verdicts = sorted((e for e in events if e.get("event") == "verdict"), key=lambda e: e["passage"])
    probes = [e for e in events if e.get("event") == "probe"]
    finished = next((e for e in events if e.get("event") == "finished"), {})
    return out.returncode, verdicts, probes, finished, out.stderr[-400:]


def same(a, b):
    return len(a) == len(b) == 3 and all(x["reasoning"] == y["reasoning"] and x["score"] == y["score"] and x["tokens"] == y["tokens"]
                                         for x, y in zip(a, b))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.jsonl")
        with open(os.path.join(shared, "corpora", "scifact", "corpus.jsonl")) as src, open(corpus, "w") as dst:
            for i, line in enumerate(src):
                if i >= 400:
                    break
                dst.write(line)
        idx = os.path.join(tmp, "idx")
        subprocess.run([binary, "index", corpus, "--out", idx, "--quiet"], check=True)
        toy = os.path.join(tmp, "judge-toy.gguf")
        toy_checkpoint(toy)
        for model in ["smollm2", "smollm2-q8", "gemma3", "qwen", toy]:
            name = os.path.basename(model)
            rc, off, _, fin_off, err = rerank(idx, model)
            check(rc == 0 and len(off) == 3, f"{name}: three verdicts with drafts and probes off", err)
            rc, drafted, _, fin, err = rerank(idx, model, "--draft", "on", "--draft-tokens", "4")
            check(rc == 0 and same(off, drafted), f"{name}: --draft on gives the same chains and scores",
                  f"{[(v['score'], v['tokens']) for v in off]} vs {[(v['score'], v['tokens']) for v in drafted]} {err}")
            print(f"  {name}: {fin.get('drafted_tokens')} drafted, {fin.get('accepted_draft_tokens')} kept, "
                  f"{fin.get('decode_tokens')} tokens in {fin.get('thinking_steps')} steps")
            if model.startswith("smollm2"):  # SmolLM2 repeats itself: drafts must be proposed and kept
                check(fin.get("accepted_draft_tokens", 0) > 0 and fin["thinking_steps"] < fin["decode_tokens"],
                      f"{name}: drafts are kept and save decode steps", str(fin))
            rc, probed, probes, fin, err = rerank(idx, model, "--probe", "on")
            check(rc == 0 and same(off, probed), f"{name}: --probe on gives the same chains and scores", err)
            by_passage = {}
            for p in probes:
                by_passage.setdefault(p["passage"], []).append([p["tokens"], p["score"]])
            # Gemma-3 (a base model) repeats `<think>` and ends no sentence: no probe is right for it.
            sentences = any(c in ".!?" and n.isspace() for v in probed for c, n in zip(v["reasoning"], v["reasoning"][1:]))
            check((len(probes) > 0) == sentences and all(by_passage.get(v["passage"], []) == (v.get("trajectory") or []) for v in probed)
                  and fin.get("probes") == len(probes),
                  f"{name}: {len(probes)} probe events, each verdict's trajectory the same", f"{probes[:3]} {probed[0].get('trajectory')}")
            check(all(0 < p["score"] < 1 and p["tokens"] < next(v["tokens"] for v in probed if v["passage"] == p["passage"])
                      for p in probes), f"{name}: probes are scores taken before the chain's end")
            # A threshold every probe meets: each chain with a probe stops at its first one, with that score.
            rc, early, _, fin, err = rerank(idx, model, "--early-exit", "0.5000001,1")
            firsts = {p: t[0] for p, t in by_passage.items()}
            ok = rc == 0 and all((v["passage"] in firsts) == bool(v.get("early_exit")) for v in early)
            ok = ok and all(v["tokens"] == firsts[v["passage"]][0] and v["score"] == firsts[v["passage"]][1]
                            for v in early if v.get("early_exit"))
            check(ok and fin.get("early_exits") == len(firsts), f"{name}: early exit stops {len(firsts)} chains at their first probe",
                  f"{[(v.get('early_exit'), v['tokens'], v['score']) for v in early]} {firsts} {err}")
        # eval measures early exit on the journal's trajectories: a second rule on the same --out judges nothing again.
        out = os.path.join(tmp, "eval")
        def evaluate(rule):
            r = subprocess.run([binary, "eval", "--qrels", os.path.join(shared, "corpora", "scifact", "qrels", "test.tsv"), "--index", idx,
                                "--queries", os.path.join(shared, "corpora", "scifact", "queries.jsonl"), "--rerank", "3",
                                "--max-queries", "2", "--model", "smollm2-q8", "--threads", "1", "--budget", "40", "--quiet", "--json",
                                "--out", out, "--early-exit", rule], capture_output=True, text=True, timeout=900)
            summary = next((json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")), {})
            return r.returncode, summary, r.stderr
        rc, never, err = evaluate("1,3")
        traces = [json.loads(line) for line in open(os.path.join(out, "traces.jsonl"))]
        with_probes = sum(1 for t in traces if t.get("trajectory"))
        check(rc == 0 and never.get("early_exits") == 0 and never.get("early_exit_tokens_saved") == 0
              and never.get("early_exit_ndcg@10") == never.get("reranked_ndcg@10") and with_probes > 0,
              "eval --early-exit 1,3: no chain stops, nothing saved, the same nDCG@10", f"{never} {err[-300:]}")
        journal = os.path.join(out, "journal.jsonl")
        lines = len(open(journal).readlines())
        rc, always, err = evaluate("0.5000001,1")
        check(rc == 0 and len(open(journal).readlines()) == lines and always.get("early_exits") == with_probes and always.get("early_exit_tokens_saved", 0) > 0,
              f"eval --early-exit 0.5000001,1 on the same --out: nothing judged again, {with_probes} chains stop at their first probe",
              f"{always} {err[-300:]}")
        # bench rerank reports drafts and probes against the engine without them (the numbers are measured, not judged here).
        out = subprocess.run([binary, "bench", "rerank", idx, "--model", "smollm2-q8", "--query", QUERY, "--passages", "2",
                              "--parallel", "1", "--budget", "16", "--repeat", "1", "--threads", "1"],
                             capture_output=True, text=True, timeout=900)
        printed = out.stdout.splitlines()
        drafts = [line for line in printed if line.startswith("  with drafts: ")]
        probes = [line for line in printed if line.startswith("  with probes: ")]
        check(out.returncode == 0 and len(drafts) == 1 and "× drafts off" in drafts[0] and "× bare" in drafts[0]
              and "of drafted tokens kept" in drafts[0] and "tokens per decode step" in drafts[0]
              and len(probes) == 1 and "× probes off" in probes[0] and "probes per passage" in probes[0]
              and any(line.startswith("drafts on (medians of every run)") for line in printed)
              and any(line.startswith("probes on (medians of every run)") for line in printed),
              "bench rerank: acceptance, tokens per step and ratios for drafts; cost of probes", out.stdout[-800:] + out.stderr[-300:])
        # Two threads: measured, not asserted.
        rc, off, _, _, _ = rerank(idx, "smollm2-q8", threads=2)
        rc2, drafted, _, _, _ = rerank(idx, "smollm2-q8", "--draft", "on", "--draft-tokens", "4", threads=2)
        agree = sum(1 for x, y in zip(off, drafted) if x["reasoning"] == y["reasoning"])
        print(f"  two threads, smollm2-q8: {agree} of {len(off)} chains the same with drafts; "
              f"largest score difference {max((abs(x['score'] - y['score']) for x, y in zip(off, drafted)), default=0):.2g}")
    check.finish()


main()
