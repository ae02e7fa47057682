#!/usr/bin/env python3
"""A Rank1-shaped checkpoint on every backend (issue 13). The project's own toy checkpoint
(scripts/make_toy_rank1.py: `<think>`/`</think>` appended to SmolLM2's vocabulary as CONTROL tokens, a ChatML
template, a name that does not say rank1, bigram weights whose greedy output is a known chain, `</think>`,
` true`, with the score known from the weights) is judged with `--profile auto`:

  in-process; through the project's vLLM-shaped server (hides special tokens unless the request asks, as vLLM
  does); through llama.cpp's real llama-server without and with --special; through llama-cpp-python's server.

Each must pick the rank1 profile, close every chain by itself (forced_close false) with exactly the designed
chain as reasoning (no verdict in it) and the designed score within 1e-5 -- or, for a server that cannot show
special tokens at all (llama-cpp-python's), refuse before judging with a message naming special tokens and emit
no verdict. Then bad input: a checkpoint without single-token " true"/" false", a server whose answers carry no
logprobs, a passage longer than the passage budget."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary, free_port, python, root, start_server, toy_checkpoint  # noqa: E402

check = Checks("rank1 checkpoints on every backend")
llama_server = os.environ.get("RANK1_LLAMA_SERVER")
QUERY = "solar panel efficiency"
DOCS = [{"_id": "d1", "title": "Solar panels", "text": "Panel efficiency of solar cells in winter."},
        {"_id": "d2", "title": "Wind", "text": "Solar and wind power compared for efficiency."},
        {"_id": "d3", "title": "", "text": "A solar panel review, with efficiency tables " + "and more words " * 40}]




def rerank(index, *extra, k=2):
    out = subprocess.run([binary, "rerank", index, "--query", QUERY, "--k", str(k), "--jsonl", "--profile", "auto", "--no-cache",
                          "--parallel", "2", "--budget", "64", *extra], capture_output=True, text=True, timeout=300,
                         cwd=tempfile.gettempdir())  # from elsewhere: libllama is found from the binary's location
    events = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    return out.returncode, events, out.stderr


def judged_exactly(label, index, expect, *extra):
    rc, events, err = rerank(index, *extra)
    profile = next((e for e in events if e["event"] == "profile"), None)
    verdicts = [e for e in events if e["event"] == "verdict"]
    check(rc == 0 and len(verdicts) == 2, f"{label}: exit 0, 2 verdicts", f"rc {rc}, {len(verdicts)} verdicts, stderr: {err[-800:]}")
    check(profile is not None and profile["profile"] == "rank1" and profile["rank1_checkpoint"] is True,
          f"{label}: --profile auto picks rank1 ({profile and profile['reason']})", f"{profile}")
    want = expect["chain"] + "</think>"
    for v in verdicts:
        check(not v["forced_close"], f"{label} {v['id']}: the chain closed by itself")
        check(v["reasoning"] == want, f"{label} {v['id']}: reasoning is the designed chain, no verdict in it",
              f"got {v['reasoning']!r}, want {want!r}")
        check(abs(v["score"] - expect["score"]) <= 1e-5, f"{label} {v['id']}: score {v['score']:.7f} = {expect['score']:.7f} ± 1e-5")
    streamed = "".join(e["text"] for e in events if e["event"] == "token" and e["passage"] == 0)
    check(streamed == want, f"{label}: the streamed tokens are the chain", f"{streamed!r}")
    # A rethink reopens the chain with "\nWait", after which the toy ends its turn (<|im_end|>): a forced close,
    # and the end-of-turn token (rendered by llama-server --special) never reaches the reasoning.
    rc, events, err = rerank(index, *extra, "--rethink", "1")
    verdicts = [e for e in events if e["event"] == "verdict"]
    again = expect["chain"] + "\nWait"
    check(rc == 0 and len(verdicts) == 2 and all(v["reasoning"] == again and v["forced_close"] and v["rethinks"] == 1
                                                 and abs(v["score"] - expect["score"]) <= 1e-5 for v in verdicts),
          f"{label}: a rethink ends by end of turn: forced close, no end-of-turn text in the reasoning",
          f"rc {rc}: {[(v['reasoning'], v['forced_close'], v['score']) for v in verdicts]} {err[-300:]}")
    return profile and profile["profile"]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        toy = os.path.join(tmp, "judge-toy.gguf")
        expect = toy_checkpoint(toy)
        bad = os.path.join(tmp, "judge-toy-split.gguf")
        toy_checkpoint(bad, "--no-single-true-false")
        with open(os.path.join(tmp, "corpus.jsonl"), "w") as f:
            for d in DOCS:
                f.write(json.dumps(d) + "\n")
        idx = os.path.join(tmp, "idx")
        subprocess.run([binary, "index", os.path.join(tmp, "corpus.jsonl"), "--out", idx, "--quiet"], check=True)
        log = open(os.path.join(tmp, "servers.log"), "w")
        profiles = {}

        print("in-process")
        profiles["in-process"] = judged_exactly("in-process", idx, expect, "--model", toy, "--threads", "2")

        print("vLLM-shaped server (hides special tokens unless asked)")
        port = free_port()
        srv = start_server([python, os.path.join(root, "Tests", "servers", "vllm_shaped.py"), "--model", toy, "--served-model-name", "judge",
                     "--port", str(port), "--threads", "2"], f"http://127.0.0.1:{port}/health", log)
        try:
            profiles["vllm"] = judged_exactly("vLLM-shaped", idx, expect, "--endpoint", f"http://127.0.0.1:{port}/v1", "--model", "judge")
            rc, events, err = rerank(idx, "--endpoint", f"http://127.0.0.1:{port}/v1", "--model", "nope")
            check(rc != 0 and "judge" in err and "does not serve" in err, "an unknown model name: refused, the served ones listed", err[-300:])
        finally:
            srv.kill()
            srv.wait()

        if llama_server and os.path.exists(llama_server):
            for special in ([], ["--special"]):
                label = "llama-server" + (" --special" if special else "")
                print(label)
                port = free_port()
                srv = start_server([llama_server, "--model", toy, "--host", "127.0.0.1", "--port", str(port), "--ctx-size", "4096",
                             "--threads", "2", "--parallel", "2", *special], f"http://127.0.0.1:{port}/health", log)
                try:
                    profiles[label] = judged_exactly(label, idx, expect, "--endpoint", f"http://127.0.0.1:{port}/v1", "--model", "judge")
                finally:
                    srv.kill()
                    srv.wait()
        else:
            check(False, "llama-server: RANK1_LLAMA_SERVER is not set or missing (scripts/build_llama_server.sh builds it)")

        print("llama-cpp-python server (always hides special tokens)")
        port = free_port()
        srv = start_server([python, "-m", "llama_cpp.server", "--model", toy, "--model_alias", "judge", "--host", "127.0.0.1",
                     "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"], f"http://127.0.0.1:{port}/v1/models", log)
        try:
            rc, events, err = rerank(idx, "--endpoint", f"http://127.0.0.1:{port}/v1", "--model", "judge")
            check(rc != 0 and "special token" in err and "refusing" in err, "refused before judging, naming special tokens",
                  f"rc {rc}: {err[-600:]}")
            check(not any(e["event"] == "verdict" for e in events), "no verdict emitted")
        finally:
            srv.kill()
            srv.wait()

        names = set(profiles.values())
        check(names == {"rank1"}, f"the same profile on every backend: {profiles}")

        print("bad input")
        rc, events, err = rerank(idx, "--model", bad, "--threads", "2")
        check(rc != 0 and '" true"' in err and "single token" in err, "no single-token \" true\": a clear error naming the tokens",
              f"rc {rc}: {err[-400:]}")
        rc, events, err = rerank(idx, "--model", toy, "--threads", "2", "--max-passage-tokens", "12", k=3)
        cut = [e for e in events if e["event"] == "started" and e["id"] == "d3"]
        check(rc == 0 and cut and cut[0]["truncated"], "a passage longer than its token budget is cut, and the event says so")
        port = free_port()
        srv = start_server([python, os.path.join(root, "Tests", "servers", "vllm_shaped.py"), "--model", toy, "--served-model-name", "judge",
                     "--port", str(port), "--threads", "2", "--no-logprobs"], f"http://127.0.0.1:{port}/health", log)
        try:
            rc, events, err = rerank(idx, "--endpoint", f"http://127.0.0.1:{port}/v1", "--model", "judge")
            failures = [e["reason"] for e in events if e["event"] == "failed"]
            check(rc == 3 and failures and all("logprobs" in f for f in failures),
                  "a server whose answers carry no logprobs: each passage fails naming the option, exit 3", f"rc {rc}: {failures[:1]} {err[-300:]}")
        finally:
            srv.kill()
            srv.wait()
    check.finish()


if __name__ == "__main__":
    main()
