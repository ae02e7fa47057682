#!/usr/bin/env python3
"""The command line's help and its errors (issue 16): every subcommand's --help works and names its choices; every
value out of range or not among the choices is refused before any work starts, with exit 64 and a message that
names the flag and what it takes."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary  # noqa: E402

check = Checks("command line messages")


def rank1(*args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)


top = rank1("--help")
subcommands = ["explore", "index", "search", "serve", "eval", "explain", "show", "rerank", "analyze", "check", "bench", "compare"]
check(top.returncode == 0 and all(f"  {c} " in top.stdout for c in subcommands), "rank1 --help lists every subcommand", top.stdout)
for c in subcommands + ["bench rerank", "bench client"]:
    h = rank1(*c.split(), "--help")
    check(h.returncode == 0 and f"USAGE: rank1 {c}" in h.stdout, f"rank1 {c} --help", h.stdout[:300] + h.stderr[:300])
h = rank1("rerank", "--help").stdout
check("values: auto, rank1, chatml, chatml-demo, gemma, gemma-demo; default: auto" in " ".join(h.split()), "--profile lists its values", h)
check("values: batched, single" in " ".join(h.split()), "--schedule lists its values", h)
check("values: on, off; default: off" in " ".join(h.split()) and "--early-exit <P,K|off>" in h, "--draft and --probe list their values; --early-exit says P,K|off", h)
check("values: beir, jsonl, trec, tsv, text" in " ".join(rank1("index", "--help").stdout.split()), "--format lists its values")

refusals = [
    (["rerank", "--query", "x", "--profile", "nope"], "The value 'nope' is invalid for '--profile <profile>'"),
    (["rerank", "--query", "x", "--parallel", "0"], "--parallel is 1 to 1,024, got 0"),
    (["rerank", "--query", "x", "--parallel", "2000"], "--parallel is 1 to 1,024, got 2000"),
    (["rerank", "--query", "x", "--budget", "0"], "--budget must be at least 1, got 0"),
    (["rerank", "--query", "x", "--fuse", "1.5"], "--fuse is a weight between 0 and 1, got 1.5"),
    (["rerank", "--query", "x", "--min-tokens=-1"], "--min-tokens must be at least 0, got -1"),
    (["rerank", "--query", "x", "--instruction", "FILL_QUERY_HERE", "--preset", "strict"], "give --instruction or --preset, not both"),
    (["rerank", "--query", "x", "--timeout", "0"], "--timeout, --deadline, --stall-budget and --connect-timeout must be positive"),
    (["rerank", "--query", "x", "--stall-budget", "0"], "--timeout, --deadline, --stall-budget and --connect-timeout must be positive"),
    (["rerank", "--query", "x", "--endpoint", "http://a:1/v1", "--endpoint", "http://a:1/v1"], "--endpoint http://a:1/v1 is given twice"),
    (["rerank", "--query", "x", "--k", "0"], "--k must be at least 1, got 0"),
    (["rerank", "--query", "x", "--draft", "maybe"], "The value 'maybe' is invalid for '--draft <draft>'"),
    (["rerank", "--query", "x", "--draft-tokens", "7"], "--draft-tokens is 0 (adaptive) to 6, got 7"),
    (["rerank", "--query", "x", "--early-exit", "0.9"], "The value '0.9' is invalid for '--early-exit <P,K|off>'"),
    (["rerank", "--query", "x", "--early-exit", "0.4,2"], "--early-exit is P,K with P above 0.5 and at most 1 and K at least 1, got 0.4,2"),
    (["rerank", "--query", "x", "--early-exit", "0.9,0"], "--early-exit is P,K with P above 0.5 and at most 1 and K at least 1, got 0.9,0"),
    (["rerank", "--query", "x", "--endpoint", "http://a:1/v1", "--model", "m", "--probe", "on", "--draft", "on"],
     "--draft on, --probe on: in-process only (they fork and rewind the engine's KV cache)"),
    (["eval", "--qrels", "q", "--rerank", "5", "--endpoint", "http://a:1/v1", "--model", "m", "--early-exit", "0.9,2"],
     "--early-exit: in-process only"),
    (["rerank", "--query", "x", "--schedule", "fast"], "The value 'fast' is invalid for '--schedule <schedule>'"),
    (["index", "c", "--out", "o", "--format", "xml"], "Please provide one of 'beir', 'jsonl', 'trec', 'tsv' or 'text'"),
    (["index", "c", "--out", "o", "--store", "some"], "Please provide one of 'text' and 'none'"),
    (["index", "c", "--out", "o", "--memory-mb", "0"], "--memory-mb must be at least 1, got 0"),
    (["search", "idx"], "give exactly one of --query or --queries"),
    (["search", "idx", "--query", "x", "--k", "0"], "--k must be at least 1, got 0"),
    (["search", "idx", "--query", "x", "--threads", "3"], "--threads must be 1 or 2"),
    (["eval", "--qrels", "q", "--rerank", "0"], "--rerank must be at least 1, got 0"),
    (["eval", "--qrels", "q", "--allow-failures=-1"], "--allow-failures must be at least 0, got -1"),
    (["eval", "--qrels", "q", "--settings", "fast"], "The value 'fast' is invalid for '--settings <settings>'"),
    (["eval", "--qrels", "q", "--skip-missing"], "--skip-missing goes with --run"),
    (["eval", "--qrels", "q", "run.trec", "--rerank", "5", "--index", "i", "--queries", "qs"],
     "run.trec is evaluated without reranking; to rerank it, give it as --run run.trec"),
    (["search", "idx", "--query", "x", "--trec", "t"], "--trec and --latencies go with --queries"),
    (["compare", "a", "b", "--qrels", "q", "--metric", "foo"], "Please provide one of 'ndcg@10', 'recall@100', 'mrr@10' or 'map'"),
    (["compare", "a", "b", "--qrels", "q", "--permutations", "0"], "--permutations must be at least 1"),
    (["explore", "--run", "a", "--run", "b", "--run", "c", "--queries", "q"], "--run: at most two run files (A and B)"),
    (["explore", "--run", "a"], "--run needs the queries' texts: --queries FILE or --collection DIR"),
    (["explore", "--run", "a", "--run", "b", "--queries", "q"], "two runs are compared on nDCG@10"),
    (["explore", "--k", "0"], "--k is 1 to 100, got 0"),
    (["bench", "client", "--streams", "2000"], "--streams: numbers from 1 to 1,024"),
    (["bench", "rerank", "idx", "--passages", "0"], "--passages, --parallel, --budget and --repeat must be at least 1"),
]
for args, says in refusals:
    r = rank1(*args)
    check(r.returncode == 64 and says in r.stderr, f"rank1 {' '.join(args)}: exit 64, {says!r}", f"exit {r.returncode}: {r.stderr[:400]}")

# A config the user wrote and broke: the command stops and says where, instead of running without it.
with tempfile.TemporaryDirectory() as home:
    os.makedirs(os.path.join(home, "rank1"))
    for text, says in [('{"model": qwen}', "not valid JSON (Invalid value around character 10.)"),
                       ('{"endpoint": []}', '"endpoint" must be a URL or a non-empty list of URLs')]:
        with open(os.path.join(home, "rank1", "config.json"), "w") as f:
            f.write(text)
        r = subprocess.run([binary, "rerank", "/nonexistent", "--query", "x"], capture_output=True, text=True, timeout=60,
                           env={**os.environ, "XDG_CONFIG_HOME": home})
        check(r.returncode == 1 and "config.json: " + says in r.stderr, f"config {text}: exit 1, {says!r}", f"exit {r.returncode}: {r.stderr[:300]}")
check.finish()
