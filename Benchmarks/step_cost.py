#!/usr/bin/env python3
"""What a decode step of n rows costs against one row, in llama.cpp alone (issue 15: a drafted row pays only
when it adds much less than a step). Times llama_decode of n = 1..8 rows after a 700-token cache, as the engine
decodes (no weight repacking unless --repack; 2 threads unless --threads=N; flash attention auto unless
--fa=on|off), logits for every row and then for the last only; medians of 12 steps, the rows removed after each.
Run: .runtime/venv/bin/python Benchmarks/step_cost.py [--model=M.gguf] [--repack] [--threads=N] [--fa=on|off]"""
import os
import statistics
import sys
import time

import llama_cpp.llama_cpp as L

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
path = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--model=")),
            os.path.join(root, ".runtime", "models", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"))
repack = "--repack" in sys.argv
fa = next((a.split("=")[1] for a in sys.argv if a.startswith("--fa=")), "auto")
threads = int(next((a.split("=")[1] for a in sys.argv if a.startswith("--threads=")), "2"))

@L.llama_log_callback
def _quiet(level, text, user_data):
    pass
L.llama_log_set(_quiet, None)
L.llama_backend_init()
mp = L.llama_model_default_params()
mp.use_extra_bufts = repack
model = L.llama_model_load_from_file(path.encode(), mp)
vocab = L.llama_model_get_vocab(model)
cp = L.llama_context_default_params()
cp.n_ctx, cp.n_batch, cp.n_ubatch, cp.n_seq_max = 2048, 2048, 512, 1
cp.n_threads = cp.n_threads_batch = threads
cp.no_perf = True
if fa != "auto":
    cp.flash_attn_type = {"on": 1, "off": 0}[fa]
ctx = L.llama_init_from_model(model, cp)
mem = L.llama_get_memory(ctx)
batch = L.llama_batch_init(2048, 0, 1)

def decode(tokens, pos0, all_logits=True):
    batch.n_tokens = len(tokens)
    for i, t in enumerate(tokens):
        batch.token[i], batch.pos[i], batch.n_seq_id[i] = t, pos0 + i, 1
        batch.seq_id[i][0] = 0
        batch.logits[i] = 1 if (all_logits or i == len(tokens) - 1) else 0
    assert L.llama_decode(ctx, batch) == 0

prompt = [(i * 7919) % 30000 + 100 for i in range(700)]
decode(prompt, 0, all_logits=False)
P = len(prompt)
for all_logits in (True, False):
    row = []
    for n in range(1, 9):
        times = []
        for r in range(15):
            toks = [(P + r * 13 + j * 31) % 30000 + 100 for j in range(n)]
            t = time.perf_counter()
            decode(toks, P, all_logits)
            times.append(time.perf_counter() - t)
            L.llama_memory_seq_rm(mem, 0, P, -1)
        row.append(statistics.median(times[3:]) * 1000)
    print(f"repack={repack} fa={fa} threads={threads} logits={'all' if all_logits else 'last'}: " +
          "  ".join(f"n={n}: {ms:.1f}" for n, ms in enumerate(row, 1)) + f"   (ms; n=k / n=1: " +
          " ".join(f"{ms / row[0]:.2f}" for ms in row) + ")")
