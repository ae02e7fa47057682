#!/usr/bin/env python3
"""Servers that misbehave (issue 17), through the real `rank1` binary: one fault per case, each must end within
its deadline with the documented exit code (0 every judgment made, 3 some failed, 1 nothing could start) and a
message naming the cause; the API key never appears in what rank1 prints or writes, even when the server echoes
it; a silent server costs the client (almost) no CPU; and an eval against a flaky server (a seeded fifth of
requests reset, 500 or stalled) ends with every passage judged and the same run as against a healthy one."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary, free_port, python, root, toy_checkpoint  # noqa: E402

check = Checks("remote faults")
KEY = "sk-test-7f3a9c41d2e8b6a5"
MODES = ["ok", "html200", "bigline", "forever", "trickle", "reset", "badutf8", "http401", "http500", "http404", "nologprobs"]



peak_rss = {}


def run(args, timeout=120, env=None):
    """Runs rank1; returns (exit code, stdout, stderr, wall seconds, CPU seconds). Its peak memory (MB) is kept
    in peak_rss by the query it ran."""
    t0 = time.time()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen([binary, *args], stdout=out, stderr=err, text=True, env=env)
        deadline = time.time() + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.time() > deadline:
                p.kill()
            time.sleep(0.01)
        out.seek(0)
        err.seek(0)
        if "--query" in args:
            peak_rss[args[args.index("--query") + 1]] = usage.ru_maxrss / 1024
        return (os.waitstatus_to_exitcode(status), out.read(), err.read(), time.time() - t0,
                usage.ru_utime + usage.ru_stime)


def silent_server():
    """Accepts connections and never answers (an overloaded GPU server)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    held = []
    def loop():
        while True:
            try:
                c, _ = s.accept()
                held.append(c)
            except OSError:
                return
    threading.Thread(target=loop, daemon=True).start()
    return s, s.getsockname()[1]


def main():
    env = dict(os.environ, RANK1_API_KEY=KEY)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "corpus.jsonl"), "w") as f:
            for m in MODES:
                f.write(json.dumps({"_id": m, "title": "", "text": f"{m} passage about solar panels and their efficiency"}) + "\n")
        idx = os.path.join(tmp, "idx")
        subprocess.run([binary, "index", os.path.join(tmp, "corpus.jsonl"), "--out", idx, "--quiet"], check=True)
        fault = subprocess.Popen([python, os.path.join(root, "Tests", "RerankTests", "fault_server.py")], stdout=subprocess.PIPE, text=True)
        port = int(fault.stdout.readline())
        url = f"http://127.0.0.1:{port}/v1"
        common = ["--endpoint", url, "--model", "m", "--k", "1", "--no-cache", "--timeout", "2", "--retries", "0", "--profile", "rank1"]
        # mode: (extra flags, exit code, words the message must hold, seconds allowed)
        cases = {
            "ok": ([], 0, [], 10),
            "html200": ([], 3, ["not an event stream", "/v1"], 10),
            "bigline": ([], 3, ["longer than 1 MiB"], 15),
            "forever": (["--budget", "8"], 0, [], 15),
            "trickle": ([], 3, ["stalled", "no token for 2 s"], 15),
            "reset": ([], 3, ["connection dropped"], 10),
            "badutf8": ([], 3, ["not UTF-8"], 10),
            "http401": ([], 3, ["HTTP 401", "API key"], 10),
            "http500": ([], 3, ["HTTP 500", "CUDA out of memory"], 10),
            "http404": ([], 3, ["HTTP 404", "wrong path"], 10),
            "nologprobs": ([], 3, ["no logprobs", "logprobs"], 10),
        }
        outputs = []
        try:
            for mode, (extra, code, words, limit) in cases.items():
                rc, out, err, wall, _ = run(["rerank", idx, "--query", mode, "--jsonl", *common, *extra], env=env)
                outputs += [out, err]
                events = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
                reasons = " ".join(e.get("reason", "") for e in events if e["event"] == "failed")
                ok = rc == code and wall < limit and all(w in reasons for w in words)
                check(ok, f"{mode}: exit {code} in {wall:.1f} s (< {limit}){', ' + repr(reasons[:110]) if reasons else ''}",
                      f"rc {rc}, {wall:.1f} s, reasons {reasons!r}, stderr {err[-300:]!r}")
                if mode == "forever":
                    v = [e for e in events if e["event"] == "verdict"]
                    check(v and v[0]["tokens"] == 8 and v[0]["forced_close"],
                          "a never-ending stream is cut by the client at the budget (8 tokens) and closed by force", f"{v}")
            rc, out, err, wall, _ = run(["rerank", idx, "--query", "forever", "--jsonl", *common, "--budget", "100000",
                                         "--deadline", "3"], env=env)
            outputs += [out, err]
            check(rc == 3 and "deadline" in out and wall < 10, f"a never-ending stream ends at the passage deadline ({wall:.1f} s)",
                  f"rc {rc}: {out[-300:]}")
            base = peak_rss["ok"]
            worst = max(peak_rss, key=peak_rss.get)
            check(peak_rss[worst] < base + 32, f"memory flat across the faults: peak {peak_rss[worst]:.0f} MB ({worst}) "
                  f"against {base:.0f} MB for a healthy answer")
            # The key, echoed by the server in its 401 and 500 bodies, in every output form and in files written.
            for mode in ("http401", "http500"):
                for form in ([], ["--show-reasoning"], ["--jsonl"]):
                    rc, out, err, _, _ = run(["rerank", idx, "--query", mode, *common, *form], env=env)
                    outputs += [out, err]
            qrels = os.path.join(tmp, "qrels.tsv")
            with open(qrels, "w") as f:
                f.write("query-id\tcorpus-id\tscore\n" + "".join(f"{m}\t{m}\t1\n" for m in ("http401", "http500")))
            with open(os.path.join(tmp, "queries.jsonl"), "w") as f:
                for m in ("http401", "http500"):
                    f.write(json.dumps({"_id": m, "text": m}) + "\n")
            evout = os.path.join(tmp, "eval")
            rc, out, err, _, _ = run(["eval", "--qrels", qrels, "--index", idx, "--queries", os.path.join(tmp, "queries.jsonl"),
                                      "--rerank", "1", "--out", evout, *common[:4], "--no-cache", "--timeout", "2",
                                      "--retries", "0", "--profile", "rank1"], env=env)
            outputs += [out, err]
            check(rc == 3 and "Rank1 nDCG" not in out and "no reranked metric" in err,
                  "eval against a failing server: exit 3, no reranked metric printed", f"rc {rc}: {out[-200:]} {err[-300:]}")
            check(os.path.exists(os.path.join(evout, "reranked.partial.trec")) and not os.path.exists(os.path.join(evout, "reranked.trec")),
                  "its reranked run is written as reranked.partial.trec, no reranked.trec", str(sorted(os.listdir(evout))))
            files = ""
            for d, _, names in os.walk(evout):
                for n in names:
                    files += open(os.path.join(d, n), errors="replace").read()
            seen = [i for i, o in enumerate(outputs) if KEY in o]
            check(not seen and KEY not in files, "the API key appears in no output and no file, though the server echoes it",
                  f"in outputs {seen}")
            check(any("[redacted]" in o for o in outputs), "the echoed key is shown redacted")
            # And on the explorer's screen: the failed passage's reason, in the reasoning pane and the status bar.
            session = f"rank1key{os.getpid()}"
            subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "30", "-e", f"RANK1_API_KEY={KEY}",
                            f"{binary} --index {idx} --endpoint {url} --model m --k 1 --no-cache --retries 0 --profile rank1 "
                            f"--log {tmp}/explorer.log; sleep 30"], check=True)
            try:
                screen = ""
                def shot():
                    return subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True).stdout
                for keys in (["/"], ["-l", "http401"], ["Enter"]):
                    time.sleep(0.5)
                    subprocess.run(["tmux", "send-keys", "-t", session, *keys])
                for _ in range(100):
                    screen = shot()
                    if "HTTP 401" in screen:
                        break
                    time.sleep(0.1)
                check("HTTP 401" in screen and KEY not in screen and "[redacted]" in screen,
                      "the explorer shows the failure with the echoed key redacted", screen[-600:])
                log = open(f"{tmp}/explorer.log").read() if os.path.exists(f"{tmp}/explorer.log") else ""
                check(KEY not in log, "nor does the explorer's log hold the key")
            finally:
                subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        finally:
            fault.kill()
            fault.wait()

        # A server that accepts and never answers: the extra wait costs (almost) no CPU.
        s, sport = silent_server()
        try:
            short = run(["rerank", idx, "--query", "ok", "--endpoint", f"http://127.0.0.1:{sport}/v1", "--model", "m",
                         "--connect-timeout", "1"], timeout=60)
            long = run(["rerank", idx, "--query", "ok", "--endpoint", f"http://127.0.0.1:{sport}/v1", "--model", "m",
                        "--connect-timeout", "7"], timeout=60)
        finally:
            s.close()
        extra_wait, extra_cpu = long[3] - short[3], long[4] - short[4]
        per10 = extra_cpu / extra_wait * 10 if extra_wait > 0 else float("inf")
        check(short[0] == 1 and long[0] == 1 and "did not answer" in long[2] and extra_wait > 5,
              f"a silent server: refused after the probe's time limit ({short[3]:.1f} s, {long[3]:.1f} s), exit 1", f"{long[2][-300:]}")
        check(per10 < 0.1, f"waiting on a silent server costs {per10:.3f} s of CPU per 10 s (< 0.1)")

        # A flaky server: every passage judged, the same run as a healthy server's.
        toy = os.path.join(tmp, "judge-toy.gguf")
        toy_checkpoint(toy)
        runs = {}
        restarts = [0, 0]  # restarted events seen, chains whose streamed text differs from the verdict's
        shared = os.environ["RANK1_SHARED"]
        scifact = os.path.join(tmp, "scifact")
        subprocess.run([binary, "index", os.path.join(shared, "corpora", "scifact"), "--out", scifact, "--quiet"], check=True)
        for label, flags in (("healthy", []), ("flaky", ["--flaky", "7"])):
            vport = free_port()
            srv = subprocess.Popen([python, os.path.join(root, "Tests", "servers", "vllm_shaped.py"), "--model", toy,
                                    "--served-model-name", "judge", "--port", str(vport), "--threads", "2", *flags],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                for _ in range(200):
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{vport}/health", timeout=1)
                        break
                    except OSError:
                        time.sleep(0.2)
                out = os.path.join(tmp, "eval-" + label)
                rc, so, se, wall, _ = run(["eval", "--qrels", os.path.join(shared, "corpora", "scifact", "qrels", "test.tsv"),
                                           "--index", scifact, "--queries", os.path.join(shared, "corpora", "scifact", "queries.jsonl"),
                                           "--rerank", "10", "--max-queries", "8", "--out", out, "--endpoint",
                                           f"http://127.0.0.1:{vport}/v1", "--model", "judge", "--no-cache", "--timeout", "2",
                                           "--parallel", "4"], timeout=600)
                runs[label] = (rc, open(os.path.join(out, "reranked.trec")).read() if rc == 0 else "", wall, se)
                if label == "flaky":
                    # --jsonl through the same flaky server: after a `restarted` event a passage's text starts again from
                    # the reasoning it names; what the stream shows must end up exactly the verdict's reasoning.
                    for query in ("0-dimensional biomaterials show inductive properties.", "ALDH1 expression is associated"
                                  " with poorer prognosis for breast cancer primary tumors.", "1 in 5 million in UK have "
                                  "abnormal PrP positivity."):
                        rc, so, se, _, _ = run(["rerank", scifact, "--query", query, "--k", "10", "--jsonl", "--endpoint",
                                                f"http://127.0.0.1:{vport}/v1", "--model", "judge", "--no-cache", "--timeout", "2",
                                                "--parallel", "4"], timeout=300)
                        shown = {}
                        for e in (json.loads(l) for l in so.splitlines() if l.startswith("{")):
                            if e["event"] == "started":
                                shown[e["passage"]] = ""
                            elif e["event"] == "token":
                                shown[e["passage"]] += e["text"]
                            elif e["event"] == "restarted":
                                restarts[0] += 1
                                shown[e["passage"]] = e["reasoning"]
                            elif e["event"] == "verdict":
                                restarts[1] += shown[e["passage"]] != e["reasoning"]
            finally:
                srv.kill()
                srv.wait()
        (hrc, hrun, hwall, _), (frc, frun, fwall, ferr) = runs["healthy"], runs["flaky"]
        check(restarts[0] > 0 and restarts[1] == 0,
              f"a retried stream emits one restarted event and its chain starts again cleanly ({restarts[0]} restarts, "
              f"{restarts[1]} chains whose streamed text differs from their verdict's reasoning)")
        check(hrc == 0 and frc == 0 and hrun and hrun == frun,
              f"eval against a flaky server: every passage judged, run identical to the healthy one ({hwall:.0f} s vs {fwall:.0f} s)",
              f"rc {hrc}/{frc}: {ferr[-500:]}")
    check.finish()


if __name__ == "__main__":
    main()
