#!/usr/bin/env python3
"""Are llama.cpp's logits for tokens verified n at a time (one batch) the same as for one token per decode?
Issue 15's exact drafts depend on it. Greedy-decodes 24 tokens of a Rank1-style prompt one at a time, evaluates
the same tokens again 1, 2, 4 and 8 per batch, and prints the largest logit difference and whether the greedy
tokens agree. Run: .runtime/venv/bin/python Benchmarks/batch_logits.py [MODEL.gguf]"""
import os
import sys

import llama_cpp as L
import numpy as np

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
model = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".runtime", "models", "smollm2-135m-instruct-q8_0.gguf")


def run(split, ntok=24, threads=2):
    llm = L.Llama(model_path=model, n_ctx=1024, n_threads=threads, logits_all=True, verbose=False, n_batch=512)
    prompt = llm.tokenize(b"Determine if the following passage is relevant to the query. Query: terminal file manager\nPassage: ranger is a console file manager with vi key bindings.\n<think>", add_bos=True)
    # greedy continuation first (one token at a time), to get realistic draft tokens
    llm.eval(prompt)
    toks = []
    for _ in range(ntok):
        t = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        toks.append(t); llm.eval([t])
    seq = np.array(llm.scores[len(prompt)-1:len(prompt)-1+ntok]).copy()
    llm.reset()
    llm.eval(prompt)
    for i in range(0, ntok, split):
        llm.eval(toks[i:i+split])
    bat = np.array(llm.scores[len(prompt)-1:len(prompt)-1+ntok]).copy()
    same_argmax = (seq.argmax(1) == bat.argmax(1)).all()
    return np.abs(seq - bat).max(), same_argmax


for split in (1, 2, 4, 8):
    d, same = run(split)
    print(f"verify {split} tokens per batch: max |logit diff| vs one-at-a-time = {d:.3g}, greedy tokens identical: {same}")
