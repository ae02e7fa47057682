#!/usr/bin/env python3
"""Run files in the explorer (issue 14), on the real binary in tmux with scifact: BM25's run (TREC) as A and a
changed copy in the reference's JSON form as B. The list of queries must start with the largest win of B as
`rank1 compare` computes it, with its difference; Enter must show both rankings with the documents' titles from
the index and B's movements; one run alone lists its queries and shows its candidates as the result list; a run
with ids the index lacks stops before the screen opens, naming them."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary, root, run_in_tmux, tmux  # noqa: E402
from shlex import quote as q  # the clone's path may hold spaces: the shell commands quote it

c = os.path.join(os.environ.get("RANK1_SHARED", os.path.join(root, "..", "shared")), "corpora", "scifact")
queries, qrels = os.path.join(c, "queries.jsonl"), os.path.join(c, "qrels", "test.tsv")
session = f"rank1runs{os.getpid()}"
starts = []
tmp = tempfile.mkdtemp()
check = Checks("explorer runs")


def screen():
    return tmux("capture-pane", "-t", session, "-p")


def wait_for(text, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        s = screen()
        if text in s:
            return s
        time.sleep(0.2)
    raise AssertionError(f"no {text!r} on screen:\n{screen()}")


def start(args):
    """A fresh session per scenario (a killed session's name is not free again at once)."""
    global session
    tmux("kill-session", "-t", session, check=False)
    starts.append(args)
    session = f"rank1runs{os.getpid()}x{len(starts)}"
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "30",
         f"{q(binary)} --index {tmp}/idx --no-model {args}; echo RANK1-EXITED $?; sleep 60")


def wait_gone(text, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        s = screen()
        if text not in s:
            return s
        time.sleep(0.2)
    raise AssertionError(f"{text!r} still on screen:\n{screen()}")


def title(doc):
    out = subprocess.run([binary, "show", f"{tmp}/idx", "--doc", doc, "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["title"]


def main():
    subprocess.run([binary, "index", c, "--out", f"{tmp}/idx", "--quiet"], check=True)
    subprocess.run([binary, "search", f"{tmp}/idx", "--queries", queries, "--k", "100", "--trec", f"{tmp}/a.trec"], check=True,
                   capture_output=True)
    # B: each query's first two candidates swapped, written in the reference's JSON form.
    runs = {}
    for line in open(f"{tmp}/a.trec"):
        q, _, d, rank, score, _ = line.split()
        runs.setdefault(q, []).append([d, float(score)])
    for q, cands in runs.items():
        if len(cands) > 1:
            cands[0][1], cands[1][1] = cands[1][1], cands[0][1]
    json.dump({q: {d: s for d, s in cands} for q, cands in runs.items()}, open(f"{tmp}/b.json", "w"))
    cmp = json.loads(subprocess.run([binary, "compare", f"{tmp}/a.trec", f"{tmp}/b.json", "--qrels", qrels, "--json"],
                                    capture_output=True, text=True, check=True).stdout)
    best = sorted(cmp["per_query"], key=lambda r: (-r["difference"], r["query"]))[0]

    start(f"--run {tmp}/a.trec --run {tmp}/b.json --queries {queries} --qrels {qrels}")
    s = wait_for("queries by B − A")
    check(f"{cmp['queries']} queries by B − A" in s, f"the list has compare's {cmp['queries']} judged queries", s)
    first = next((l for l in s.splitlines() if "A 0." in l or "A 1." in l), "")
    check(f"{best['difference']:+.3f}" in first and f"  {best['query']}  " in first,
          f"the first row is compare's largest win ({best['query']} {best['difference']:+.3f})", first)
    tmux("send-keys", "-t", session, "Enter")
    s = wait_gone("queries by B − A")
    top_a, second_a = runs[best["query"]][0][0], runs[best["query"]][1][0]
    rows = [l for l in s.splitlines() if l.strip().startswith("1 ")]
    check(bool(rows) and title(top_a)[:20] in rows[0] and title(second_a)[:12] in rows[0].split("↑1")[-1],
          "A's first is A's top document and B's first moved up one, by their titles",
          f"{title(top_a)[:20]!r}, ↑1 {title(second_a)[:12]!r} in:\n" + s)
    tmux("send-keys", "-t", session, "]")
    s = wait_for(f"2/{cmp['queries']}")
    check("B − A" in s, "] opens the next query of the list")
    tmux("send-keys", "-t", session, "Escape")
    tmux("send-keys", "-t", session, "q")
    tmux("send-keys", "-t", session, "q")
    check("RANK1-EXITED 0" in wait_for("RANK1-EXITED"), "quits with 0")

    start(f"--run {tmp}/a.trec --queries {queries} --qrels {qrels}")
    s = wait_for("queries of a.trec")
    q0 = runs_first = next(q for q in runs if q in {r["query"] for r in cmp["per_query"]})
    tmux("send-keys", "-t", session, "Enter")
    s = wait_for("nDCG@10 a.trec")
    check(title(runs[q0][0][0])[:20] in s and "nDCG@10 a.trec" in s, f"Enter lists {runs_first}'s candidates from the run", s)
    tmux("send-keys", "-t", session, "q")
    wait_for("RANK1-EXITED")

    with open(f"{tmp}/bad.trec", "w") as f:
        f.write(open(f"{tmp}/a.trec").read() + f"{q0} Q0 no-such-doc 101 0.1 x\n{q0} Q0 nor-this 102 0.05 x\n")
    start(f"--run {tmp}/bad.trec --queries {queries}")
    s = wait_for("RANK1-EXITED")
    check("RANK1-EXITED 1" in s and "2 candidate ids are not in" in s and "no-such-doc" in s, "ids missing from the index: exit 1, named", s)
    tmux("kill-session", "-t", session, check=False)  # (a session left by a failed check ends with its `sleep 60`)


run_in_tmux(main, check, session)
