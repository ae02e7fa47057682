#!/usr/bin/env python3
"""End to end: two judges side by side (`--judge NAME=SPEC` twice), one the embedded Qwen model in-process, the other
SmolLM2 on a real llama-cpp-python server. `rank1 rerank` gives both judges' verdicts on the same candidates, each
line named by its judge, both rankings and the agreement (Kendall's τ, Cohen's κ), checked against values computed
here from the verdicts; `rank1 eval` writes each judge's runs (which `rank1 compare` reads) and the per-query
agreement. A judge that names nothing loadable or reachable stops the command before any work, named; a judge
whose server dies mid-run leaves the other's results intact, the failures on its rows, exit 3."""
import json
import math
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary, free_port, python, screen_of, smollm2, start_server, tmux  # noqa: E402

check = Checks("two judges")
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
debian = os.path.join(root, ".index", "debian")
shared = os.environ.get("RANK1_SHARED", os.path.join(os.path.dirname(root), "shared"))
QUERY = "convert video files to animated gif"
FLAGS = ["--budget", "16", "--no-cache", "--threads", "2"]


def tau_b(a, b):
    c = d = ta = tb = n = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            x, y = a[i] - a[j], b[i] - b[j]
            n += 1
            ta += x == 0
            tb += y == 0
            c += x * y > 0
            d += x * y < 0
    den = math.sqrt((n - ta) * (n - tb))
    return (c - d) / den if den else None


def kappa(a, b):
    va, vb = [x >= 0.5 for x in a], [x >= 0.5 for x in b]
    po = sum(x == y for x, y in zip(va, vb)) / len(va)
    pa, pb = sum(va) / len(va), sum(vb) / len(vb)
    pe = pa * pb + (1 - pa) * (1 - pb)
    return (po - pe) / (1 - pe) if pe < 1 else None


def close(x, y):
    return (x is None and y is None) or (x is not None and y is not None and abs(x - y) < 1e-9)


def explorer(judges):
    session = f"rank1judges{os.getpid()}"
    cmd = " ".join([binary, "--index", debian, "--k", "3", *FLAGS, *judges]) + "; sleep 60"
    tmux("new-session", "-d", "-s", session, "-x", "140", "-y", "32", cmd)

    def wait_for(pattern, timeout):
        try:
            return screen_of(session, pattern, timeout, pattern)
        except AssertionError:
            return None
    try:
        check(wait_for(r"press / to type a query", 60), "the explorer starts with both judges prepared")
        tmux("send-keys", "-t", session, "/")
        tmux("send-keys", "-t", session, "-l", QUERY)
        tmux("send-keys", "-t", session, "Enter")
        # Both judges' verdicts in three rows, then the agreement in the list's header.
        done = wait_for(r"qwen \| smol τ -?\d", 600)
        check(done, "the list's header gives the two judges' τ once both have judged", done or tmux("capture-pane", "-t", session, "-p"))
        rows = [l for l in (done or "").splitlines() if re.search(r"\d\.\d{3} +\d\.\d{3}", l)]
        check(len(rows) >= 1, f"rows show both judges' scores: {rows[:3]}")
        check(done and any("Reasoning" in l and "smol" in l for l in done.splitlines()), "the second judge's chain beside the first's")
        tmux("send-keys", "-t", session, "d")
        check(wait_for(r"by disagreement", 5), "d sorts the list by disagreement")
        tmux("send-keys", "-t", session, "q")
    finally:
        tmux("kill-session", "-t", session, check=False)


def main():
    tmp = tempfile.mkdtemp()
    log = open(os.path.join(tmp, "server.log"), "w")
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    srv = start_server([python, "-m", "llama_cpp.server", "--model", smollm2(), "--model_alias", "smol", "--host", "127.0.0.1",
                        "--port", str(port), "--n_ctx", "2048", "--n_threads", "1"], f"{url}/models", log)
    judges = ["--judge", "qwen=qwen", "--judge", f"smol={url}#smol"]
    try:
        print("rank1 rerank with two judges, one in-process, one a server")
        out = subprocess.run([binary, "rerank", debian, "--query", QUERY, "--k", "5", "--jsonl", *FLAGS, *judges],
                             capture_output=True, text=True, timeout=900)
        events = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
        verdicts = {name: {e["id"]: e for e in events if e["event"] == "verdict" and e.get("judge") == name} for name in ("qwen", "smol")}
        check(out.returncode == 0, "exit 0", out.stderr[-400:])
        check(all(len(v) == 5 for v in verdicts.values()), f"both judged the same five candidates ({[len(v) for v in verdicts.values()]})")
        check(set(verdicts["qwen"]) == set(verdicts["smol"]), "the same candidates")
        check(all("judge" in e for e in events if e["event"] != "agreement"), "every line names its judge (the agreement both)")
        profiles = {e["judge"]: e["backend"] for e in events if e["event"] == "profile"}
        check(set(profiles) == {"qwen", "smol"} and "in-process" in profiles["qwen"] and "in-process" not in profiles["smol"],
              f"each judge's profile line, one in-process, one remote: {profiles}")
        check(any(v.get("endpoint") == url for v in verdicts["smol"].values()), "the server judge's verdicts name its endpoint")
        rankings = {e["judge"]: e["ids"] for e in events if e["event"] == "ranking"}
        check(set(rankings) == {"qwen", "smol"}, "a ranking per judge")
        agreement = next((e for e in events if e["event"] == "agreement"), None)
        ids = sorted(verdicts["qwen"])
        a = [verdicts["qwen"][i]["score"] for i in ids]
        b = [verdicts["smol"][i]["score"] for i in ids]
        check(agreement is not None and agreement["both"] == 5 and close(agreement["kendall_tau"], tau_b(a, b))
              and close(agreement["cohen_kappa"], kappa(a, b)),
              f"the agreement: τ {agreement and agreement['kendall_tau']}, κ {agreement and agreement['cohen_kappa']} "
              f"(here: {tau_b(a, b)}, {kappa(a, b)})")

        text = subprocess.run([binary, "rerank", debian, "--query", QUERY, "--k", "3", *FLAGS, *judges], capture_output=True, text=True,
                              timeout=900)
        check(text.returncode == 0 and "[qwen] [" in text.stdout and "[smol] [" in text.stdout and "Kendall's τ" in text.stdout,
              "the text output names each judge's verdicts and says the agreement", text.stdout[-600:])

        print("rank1 eval with two judges")
        scifact = os.path.join(tmp, "scifact")
        subprocess.run([binary, "index", os.path.join(shared, "corpora", "scifact", "corpus.jsonl"), "--out", scifact, "--quiet"],
                       check=True, timeout=600)
        qrels = os.path.join(shared, "corpora", "scifact", "qrels", "test.tsv")
        ev = os.path.join(tmp, "eval")
        run = subprocess.run([binary, "eval", "--qrels", qrels, "--index", scifact, "--queries",
                              os.path.join(shared, "corpora", "scifact", "queries.jsonl"), "--rerank", "3", "--max-queries", "2",
                              "--out", ev, *FLAGS, *judges], capture_output=True, text=True, timeout=1200)
        check(run.returncode == 0, "eval exit 0", run.stderr[-600:])
        check(all(os.path.exists(os.path.join(ev, n, "reranked.trec")) for n in ("qwen", "smol")), "each judge's run in OUT/NAME/reranked.trec")
        rows = [l.split("\t") for l in open(os.path.join(ev, "agreement.tsv")).read().splitlines()[1:]] if os.path.exists(
            os.path.join(ev, "agreement.tsv")) else []
        check(len(rows) == 2 and all(r[1] == "3" for r in rows), f"agreement.tsv: a line per query, 3 pairs each ({rows})")
        check("== agreement of qwen and smol" in run.stdout and "Cohen's κ" in run.stdout, "the eval says the agreement overall")
        cmp = subprocess.run([binary, "compare", os.path.join(ev, "qwen", "reranked.trec"), os.path.join(ev, "smol", "reranked.trec"),
                              "--qrels", qrels], capture_output=True, text=True, timeout=60)
        check(cmp.returncode == 0 and "B against A:" in cmp.stdout, "rank1 compare reads the two judges' runs", cmp.stderr[-300:])

        print("bad judges")
        bad = subprocess.run([binary, "rerank", debian, "--query", QUERY, "--k", "2", *FLAGS, "--judge", "qwen=qwen", "--judge",
                              "ghost=/nonexistent/model.gguf"], capture_output=True, text=True, timeout=300)
        check(bad.returncode != 0 and "ghost" in bad.stderr and '"verdict"' not in bad.stdout and "[qwen] [1/" not in bad.stdout,
              "a judge whose model does not exist stops the command before any work, named", bad.stderr[-300:])
        dead = f"http://127.0.0.1:{free_port()}/v1"
        bad = subprocess.run([binary, "rerank", debian, "--query", QUERY, "--k", "2", *FLAGS, "--connect-timeout", "3", "--judge", "qwen=qwen",
                              "--judge", f"far={dead}#smol"], capture_output=True, text=True, timeout=300)
        check(bad.returncode != 0 and "judge far" in bad.stderr and "[qwen] [1/" not in bad.stdout,
              "a judge whose server cannot be reached stops the command before any work, named", bad.stderr[-300:])
        for spec, why in (("qwen", "NAME=SPEC"), (f"x={url}", "URL#MODEL")):
            bad = subprocess.run([binary, "rerank", debian, "--query", QUERY, "--judge", "a=qwen", "--judge", spec], capture_output=True,
                                 text=True, timeout=60)
            check(bad.returncode != 0 and why in bad.stderr, f"--judge {spec}: refused, saying {why}", bad.stderr[-200:])

        print("the explorer with two judges")
        explorer(judges)

        print("a judge's server dies mid-run")
        died = []

        def kill_on_first_token():
            proc = subprocess.Popen([binary, "rerank", debian, "--query", QUERY, "--k", "4", "--jsonl", *FLAGS, "--retries", "0",
                                     "--deadline", "60", *judges], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            lines = []
            for line in proc.stdout:
                lines.append(line)
                if not died and '"judge":"smol"' in line and '"event":"token"' in line:
                    srv.kill()
                    died.append(True)
            proc.wait(timeout=900)
            return proc.returncode, [json.loads(l) for l in lines if l.startswith("{")]
        rc, events = kill_on_first_token()
        qwen = [e for e in events if e["event"] == "verdict" and e["judge"] == "qwen"]
        failed = [e for e in events if e["event"] == "failed" and e["judge"] == "smol"]
        check(died and rc == 3, f"exit 3 after the server judge's server was killed (rc {rc})")
        check(len(qwen) == 4, f"the in-process judge's four verdicts are intact ({len(qwen)})")
        check(failed, f"the dead judge's passages failed, each said ({len(failed)} failed lines)")
    finally:
        srv.kill()
    check.finish()


if __name__ == "__main__":
    main()
