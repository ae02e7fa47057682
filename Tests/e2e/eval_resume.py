#!/usr/bin/env python3
"""`rank1 eval --rerank` survives kill -9 (issues 14 and 17): every judgment is appended to --out/journal.jsonl as
it is made; killed at three different moments and run again, the eval ends with the same reranked run as an
uninterrupted one, no judgment twice in the journal, and the judgments made before each kill kept; a torn last
line is tolerated and reported; a rerun with other settings into the same --out is refused, naming the setting; a
second eval started into an --out that a running one writes is refused, naming the running one, and the lock a killed
one left behind is taken over, saying so.
The judge is SmolLM2 in-process, one passage at a time (a fixed schedule: a passage's score does not depend on
which others share its batch, so a resumed run must reproduce the uninterrupted one exactly)."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary  # noqa: E402

check = Checks("eval resume")
shared = os.environ["RANK1_SHARED"]


def journal_lines(out):
    path = os.path.join(out, "journal.jsonl")
    return open(path, "rb").read().split(b"\n") if os.path.exists(path) else []


def main():
    with tempfile.TemporaryDirectory() as tmp:
        idx = os.path.join(tmp, "scifact")
        subprocess.run([binary, "index", os.path.join(shared, "corpora", "scifact"), "--out", idx, "--quiet"], check=True)
        c = os.path.join(shared, "corpora", "scifact")

        def cmd(out, *extra):
            return [binary, "eval", "--qrels", os.path.join(c, "qrels", "test.tsv"), "--index", idx, "--queries",
                    os.path.join(c, "queries.jsonl"), "--rerank", "8", "--max-queries", "8", "--out", out, "--model", "smollm2-q8",
                    "--no-cache", "--threads", "2", "--schedule", "single", "--budget", "8", "--profile", "rank1", *extra]

        whole = os.path.join(tmp, "whole")
        r = subprocess.run(cmd(whole), capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, "an uninterrupted eval", r.stderr[-300:])
        want = sorted(open(os.path.join(whole, "reranked.trec")).read().splitlines())
        total = len(journal_lines(whole)) - 2  # header and the final empty split

        out = os.path.join(tmp, "killed")
        for n, at in enumerate((total // 6, total // 2, total * 5 // 6)):
            p = subprocess.Popen(cmd(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 120
            while len(journal_lines(out)) < at + 2 and p.poll() is None and time.time() < deadline:
                time.sleep(0.002)
            p.send_signal(signal.SIGKILL)
            p.wait()
            kept = [l for l in journal_lines(out)[1:] if l.strip()]
            check(len(kept) >= at, f"kill -9 #{n + 1} after {len(kept)} of {total} judgments: they are in the journal")
        # A torn last line, as a kill in the middle of a write leaves it.
        with open(os.path.join(out, "journal.jsonl"), "ab") as f:
            f.write(b'{"doc":"123","query":"1","status":"jud')
        r = subprocess.run(cmd(out), capture_output=True, text=True, timeout=600)
        check(r.returncode == 0 and "torn last line" in r.stderr and "resuming" in r.stderr,
              "the rerun continues, reporting the torn line it dropped", r.stderr[-400:])
        check("which is gone (killed?); its lock is taken over" in r.stderr, "the lock the killed eval left is taken over, and said",
              r.stderr[-400:])
        got = sorted(open(os.path.join(out, "reranked.trec")).read().splitlines())
        check(got == want, "the resumed run is identical (after sorting) to the uninterrupted one")
        entries = [json.loads(l) for l in journal_lines(out)[1:] if l.strip()]
        pairs = [(e["query"], e["doc"]) for e in entries if e["status"] == "judged"]
        check(len(pairs) == len(set(pairs)) == total, f"no judgment twice: {len(pairs)} judged pairs, {len(set(pairs))} distinct")

        # Two evals into one --out: the second is refused while the first writes, naming it; the first goes on.
        two = os.path.join(tmp, "two")
        first = subprocess.Popen(cmd(two), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while len(journal_lines(two)) < 3 and first.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        r = subprocess.run(cmd(two), capture_output=True, text=True, timeout=120)
        check(r.returncode == 1 and f"is being written by another rank1 eval (process {first.pid})" in r.stderr,
              "a second eval into the same --out is refused, naming the running one", r.stderr[-300:])
        _, err = first.communicate(timeout=600)
        check(first.returncode == 0, "the first one finishes undisturbed", err[-300:])
        got = sorted(open(os.path.join(two, "reranked.trec")).read().splitlines())
        entries = [json.loads(l) for l in journal_lines(two)[1:] if l.strip()]
        check(got == want and len(entries) == total, "and its run and journal are whole (no second writer's lines)")

        r = subprocess.run(cmd(out, "--budget", "33"), capture_output=True, text=True, timeout=120)
        check(r.returncode != 0 and "other settings" in r.stderr and "budget" in r.stderr and '"33"' in r.stderr,
              "a rerun with another budget into the same --out is refused, naming the setting", r.stderr[-300:])
        r = subprocess.run(cmd(out, "--draft", "on"), capture_output=True, text=True, timeout=120)
        check(r.returncode != 0 and "other settings" in r.stderr and "draft" in r.stderr,
              "a rerun with drafts into a journal judged without them is refused", r.stderr[-300:])
    check.finish()


if __name__ == "__main__":
    main()
