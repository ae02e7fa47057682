"""Builds a tiny "Rank1-shaped" GGUF test checkpoint from the embedded SmolLM2 GGUF, plus a JSON sidecar
that states exactly what the model does.

Why: real Rank1 checkpoints (GBs) cannot ship with the tests, and SmolLM2 never closes its reasoning. This
toy has what matters for the protocol (../shared/rank1/PROTOCOL.md, "Real checkpoints"): SmolLM2's gpt2 BPE
vocabulary plus `<think>` and `</think>` appended as CONTROL tokens, and a fully known greedy continuation:

    ...<think>  ->  The query asks about this topic; the passage reports exactly that.\\n </think>  true <|im_end|>

It is a bigram model: one llama layer whose attention and FFN write nothing (all-zero weights), so the last
hidden state is rmsnorm(embedding(current token)) and the next token depends on the current token only. Each
token of the path above has its own basis direction in the embedding; every other token shares direction 0,
whose successor is EOS (so a prompt that does not end in the control token `<think>`, e.g. one tokenized
without special-token parsing, ends at once instead of passing by accident). At `</think>` the logits of
" true" and " false" are set so that score = sigmoid(l_true - l_false) is about 0.83, not extreme.

usage: python make_toy_rank1.py --base SmolLM2-135M-Instruct.Q4_1.gguf --out DIR/judge-toy.gguf
                                [--no-single-true-false]
Writes OUT.json (the sidecar) and then OUT, each via a .tmp file and a rename: never a half file, and OUT
only exists with its sidecar. --no-single-true-false drops the BPE merges that make "Ġtrue" and "Ġfalse",
so " true"/" false" tokenize to several tokens (for testing the clear error); the weights are the same.
Deterministic: the same base gives byte-identical files. Needs numpy and gguf (==0.17.1).
"""
import argparse
import json
import math
import mmap
import os
import struct
import sys

import numpy as np
import gguf

NAME = "Relevance Judge Toy"  # must not mention rank1: detection has to rely on the vocabulary, not names
# The reasoning chain in SmolLM2's BPE pieces (Ġ = space, Ċ = newline). All distinct, so a bigram model can
# chain them; no leading space, so the text equals its strip() (what a forced close keeps). Ends with "." + "\n".
CHAIN = ["The", "Ġquery", "Ġasks", "Ġabout", "Ġthis", "Ġtopic", ";", "Ġthe", "Ġpassage", "Ġreports",
         "Ġexactly", "Ġthat", ".", "Ċ"]
THINK_OPEN, THINK_CLOSE, TRUE, FALSE = "<think>", "</think>", "Ġtrue", "Ġfalse"
N_EMBD = N_FF = 64  # one head of 64, one kv head, one layer
RMS_EPS = 1e-5
# Output weights along a direction; rmsnorm turns a unit basis vector into ~8x it, so logits are ~8x these.
STEP = 3.0                        # successor logit ~24, everything else 0: margin ~24 (>= 15 asserted below)
V_TRUE, V_FALSE, V_OTHER = 1.0, 0.8, -0.75   # at </think>: logits ~8.0 / ~6.4 / ~-6.0 -> score ~0.832


# GGUF metadata value types (the spec's numbering) -> struct formats; 8 = string, 9 = array.
SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def read_tokenizer(base):
    """Every tokenizer.* key of the base file as (key, value, type, subtype), in file order. Parsed here rather
    than with gguf.GGUFReader, which builds a numpy view per element and needs ~10 s for SmolLM2's 98k strings."""
    with open(base, "rb") as fh:
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    magic, version, _, n_kv = struct.unpack_from("<4sIQQ", buf, 0)
    if magic != b"GGUF" or version < 2:
        sys.exit(f"make_toy_rank1: {base} is not a GGUF v2+ file")
    pos = 24

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return v[0] if len(v) == 1 else v

    def value(t):
        nonlocal pos
        if t == 8:
            n = take("Q")
            pos += n
            return bytes(buf[pos - n:pos]).decode("utf-8")
        if t == 9:
            sub, n = take("IQ")
            return [value(sub) for _ in range(n)]
        return take(SCALAR[t])

    out = []
    for _ in range(n_kv):
        key, t = value(8), take("I")
        sub = struct.unpack_from("<I", buf, pos)[0] if t == 9 else None
        v = value(t)
        if key.startswith("tokenizer."):
            out.append((key, v, gguf.GGUFValueType(t), None if sub is None else gguf.GGUFValueType(sub)))
    buf.close()
    return out


def rms_logits(embd, norm, out, tok, eps):
    """Final logits for current token `tok`, in float64 from the float32 weights as stored (llama's graph here
    reduces to this because every residual branch is exactly zero)."""
    h = embd[tok].astype(np.float64)
    n = h / math.sqrt(float(np.mean(h * h)) + float(np.float32(eps))) * norm.astype(np.float64)
    return out.astype(np.float64) @ n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="SmolLM2-135M-Instruct GGUF (its tokenizer is reused)")
    ap.add_argument("--out", required=True, help="output .gguf; the sidecar is the same path with .json")
    ap.add_argument("--no-single-true-false", action="store_true",
                    help="remove the merges producing 'Ġtrue'/'Ġfalse' (multi-token verdict words)")
    a = ap.parse_args()
    if not a.out.endswith(".gguf"):
        ap.error("--out must end with .gguf (the sidecar replaces that suffix with .json)")
    single = not a.no_single_true_false

    # Tokenizer: SmolLM2's, with the two think tags appended as CONTROL tokens (what HF->GGUF conversion does
    # with added special tokens), so ids of the original vocabulary are unchanged.
    kvs = read_tokenizer(a.base)
    tok = dict((k, v) for k, v, _, _ in kvs)
    tokens = list(tok["tokenizer.ggml.tokens"])
    n_base = len(tokens)
    if THINK_OPEN in tokens or THINK_CLOSE in tokens:
        sys.exit("make_toy_rank1: the base vocabulary already has <think>/</think>; expected SmolLM2's")
    tokens += [THINK_OPEN, THINK_CLOSE]
    n_vocab = len(tokens)
    ids = {t: i for i, t in enumerate(tokens)}
    think_open, think_close = ids[THINK_OPEN], ids[THINK_CLOSE]
    true_id, false_id = ids[TRUE], ids[FALSE]
    eos = int(tok["tokenizer.ggml.eos_token_id"])
    chain_ids = [ids[p] for p in CHAIN]
    path = [think_open] + chain_ids + [think_close]          # tokens with their own direction, in order
    assert len(set(path + [true_id, false_id, eos])) == len(path) + 3, "path tokens must be distinct"
    fixed = {"tokenizer.ggml.tokens": tokens,
             "tokenizer.ggml.token_type": list(tok["tokenizer.ggml.token_type"]) + [3, 3]}  # 3 = CONTROL
    if "tokenizer.ggml.scores" in tok:  # not in SmolLM2 (BPE), but keep any per-token array the right length
        fixed["tokenizer.ggml.scores"] = list(tok["tokenizer.ggml.scores"]) + [0.0, 0.0]
    if not single:  # BPE can only build a token through a merge whose halves concatenate to it
        merges = [m for m in tok["tokenizer.ggml.merges"] if m.replace(" ", "") not in (TRUE, FALSE)]
        assert len(merges) < len(tok["tokenizer.ggml.merges"]), "no merge produced Ġtrue/Ġfalse"
        fixed["tokenizer.ggml.merges"] = merges

    # Weights. Direction 0 is the default; path token k (and " true") get directions 1.. in order.
    direction = np.zeros(n_vocab, dtype=np.int64)
    for d, t in enumerate(path + [true_id], start=1):
        direction[t] = d
    embd = np.zeros((n_vocab, N_EMBD), dtype=np.float32)
    embd[np.arange(n_vocab), direction] = 1.0
    out = np.zeros((n_vocab, N_EMBD), dtype=np.float32)       # logits = out @ rmsnorm(h)
    succ = {0: eos, direction[true_id]: eos}                   # anything else -> EOS; " true" -> EOS
    for cur, nxt in zip(path[:-1], path[1:]):
        succ[direction[cur]] = nxt
    for d, t in succ.items():
        out[t, d] = STEP
    verdict = direction[think_close]                           # the distribution Rank1 reads its score from
    out[:, verdict] = V_OTHER
    out[true_id, verdict], out[false_id, verdict] = V_TRUE, V_FALSE
    ones, zeros = np.ones(N_EMBD, dtype=np.float32), np.zeros((N_EMBD, N_EMBD), dtype=np.float32)

    # Self-check of the design on the stored float32 values: greedy path and margins, then the sidecar numbers.
    cur, seen = think_open, []
    for _ in range(len(path) + 2):
        lg = rms_logits(embd, ones, out, cur, RMS_EPS)
        prev, cur = cur, int(np.argmax(lg))
        if prev != think_close:  # the verdict step is meant to be close (checked below)
            assert np.partition(lg, -2)[-2] <= lg[cur] - 15, "successor margin below 15"
        seen.append(cur)
        if cur == eos:
            break
    assert seen == chain_ids + [think_close, true_id, eos], seen
    lg = rms_logits(embd, ones, out, false_id, RMS_EPS)  # any off-path token: EOS, by the same margin
    assert int(np.argmax(lg)) == eos and np.partition(lg, -2)[-2] <= lg[eos] - 15
    lg = rms_logits(embd, ones, out, think_close, RMS_EPS)
    lt, lf = float(lg[true_id]), float(lg[false_id])
    assert lt > lf > float(np.max(np.delete(lg, [true_id, false_id])))
    m = float(lg.max())
    p_true = math.exp(lt - m) / float(np.sum(np.exp(lg - m)))
    score = 1.0 / (1.0 + math.exp(-(lt - lf)))
    # Pieces as llama.cpp renders them for gpt2 BPE: byte-level Ġ/Ċ back to space/newline (chain is ASCII).
    chain_text = "".join(p.replace("Ġ", " ").replace("Ċ", "\n") for p in CHAIN)
    name = NAME if single else NAME + " (multi-token verdict)"
    assert "rank1" not in name.lower()

    side = {"name": name, "think_open_id": think_open, "think_close_id": think_close, "true_id": true_id,
            "false_id": false_id, "eos_id": eos, "chain": chain_text, "chain_token_ids": chain_ids,
            "score": score, "p_true": p_true, "logit_true": lt, "logit_false": lf,
            "single_true_false": single, "n_vocab": n_vocab, "base_n_vocab": n_base}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    side_path = a.out[: -len(".gguf")] + ".json"
    with open(side_path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(side, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    os.replace(side_path + ".tmp", side_path)

    # GGUF: the llama.* keys SmolLM2 carries (llama.cpp's llama loader reads these), with toy dimensions.
    w = gguf.GGUFWriter(a.out + ".tmp", arch="llama")
    w.add_type("model")
    w.add_name(name)
    w.add_block_count(1)
    w.add_context_length(32768)
    w.add_embedding_length(N_EMBD)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(1)
    w.add_head_count_kv(1)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(RMS_EPS)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_vocab_size(n_vocab)
    w.add_rope_dimension_count(N_EMBD)
    for key, val, vtype, sub in kvs:  # every tokenizer.* key, same types; the per-token arrays extended
        w.add_key_value(key, fixed.get(key, val), vtype, sub)
    # Separate output.weight (no tied embeddings); zero attention/FFN make every residual branch exactly 0.
    w.add_tensor("token_embd.weight", embd)
    w.add_tensor("output_norm.weight", ones)
    w.add_tensor("output.weight", out)
    for t in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"):
        w.add_tensor(f"blk.0.{t}.weight", zeros)  # 64x64 each: n_embd = head dim = n_ff = 64
    w.add_tensor("blk.0.attn_norm.weight", ones)
    w.add_tensor("blk.0.ffn_norm.weight", ones)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(a.out + ".tmp", a.out)
    print(f"make_toy_rank1: wrote {a.out} (+ .json): chain {chain_text!r}, score {score:.9f}, p_true {p_true:.9f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
