#!/usr/bin/env python3
"""An OpenAI-compatible server that answers like vLLM 0.8 (V1 engine) on the wire, running a GGUF model through
llama-cpp-python. Tests use it to check that a client sees `</think>` (a CONTROL token in Rank1 checkpoints) on a
vLLM-like server, which hides special tokens unless a request sends "skip_special_tokens": false.

  python vllm_shaped.py --model M.gguf --served-model-name NAME --host 127.0.0.1 --port N
                        [--max-model-len 4096] [--threads 2] [--max-logprobs 20] [--no-prefix-cache]

Prints `READY http://host:port` once the model is loaded. Greedy decoding only; see README.md beside this file for
what is imitated and what is not. Uses the stdlib, llama_cpp and numpy (a dependency of llama_cpp)."""
import argparse
import codecs
import io
import ctypes
import json
import random
import signal
import socket
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import llama_cpp
import numpy as np


class ApiError(Exception):
    def __init__(self, message, kind="BadRequestError", code=400):
        super().__init__(message)
        self.body = {"object": "error", "message": message, "type": kind, "param": None, "code": code}
        self.code = code


def field(body, name, types, default):
    value = body.get(name, default)
    if value is not None and not isinstance(value, types) or isinstance(value, bool) and bool not in types:
        raise ApiError(f"Invalid type for `{name}`: {value!r}")
    return value


class Model:
    def __init__(self, path, n_ctx, threads, prefix_cache):
        self.llm = llama_cpp.Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                                   n_batch=min(512, n_ctx), logits_all=False, verbose=False)
        self.max_len = n_ctx  # llama.cpp pads its context to a multiple of 256; limits follow the flag, as in vLLM
        self.vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab)
        self.eos = llama_cpp.llama_vocab_eos(self.vocab)
        self.eog = [t for t in range(self.n_vocab) if llama_cpp.llama_vocab_is_eog(self.vocab, t)]
        self.prefix_cache = prefix_cache
        self.lock = threading.Lock()  # one sequence at a time; concurrent requests queue here

    def tokenize(self, text, add_special):
        # parse_special=True: "<think>" in the text becomes the control token, as HF tokenizers do for added tokens
        return self.llm.tokenize(text.encode(), add_bos=add_special, special=True) if text else []

    def piece(self, tok, special):
        # special=False renders CONTROL tokens as b"" (llama.cpp's rule), which is what HF's skip_special_tokens
        # does to tokens marked special (GGUF conversions mark those CONTROL); USER_DEFINED tokens stay visible.
        buf = ctypes.create_string_buffer(64)
        n = llama_cpp.llama_token_to_piece(self.vocab, tok, buf, 64, 0, special)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self.vocab, tok, buf, -n, 0, special)
        return buf.raw[:n]

    def check_ids(self, ids, what):
        bad = [t for t in ids if not isinstance(t, int) or isinstance(t, bool) or not 0 <= t < self.n_vocab]
        if bad:
            raise ApiError(f"{what} contains out-of-vocab token id {bad[0]!r}")

    def _prefill(self, ids):
        llm, keep = self.llm, 0
        if self.prefix_cache:  # reuse the KV of the previous request's common prefix, as vLLM's prefix cache does
            cached = llm.input_ids[:llm.n_tokens]
            while keep < min(len(cached), len(ids) - 1) and cached[keep] == ids[keep]:
                keep += 1  # at least one token is evaluated, so the last position's logits are fresh
        if not llm._ctx.kv_cache_seq_rm(-1, keep, -1):
            keep = 0
            llm.reset()
            llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        llm.n_tokens = keep
        llm.eval(ids[keep:])

    def logprob_entry(self, logits, tok, k, as_ids):
        x = logits.astype(np.float64)
        m = x.max()
        lp = x - (m + np.log(np.exp(x - m).sum()))
        top = np.argpartition(-lp, k)[:k] if 0 < k < len(lp) else np.arange(len(lp) if k else 0)
        top = sorted(top.tolist(), key=lambda t: (-lp[t], t))
        # vLLM V1: the sampled token first, then the top k, one entry per id; the legacy format then keys them by
        # decoded text (tokenizer.decode([id]), specials rendered), so two ids with the same text collapse.
        ids = list(dict.fromkeys([tok] + top))[:k + 1]
        name = lambda t: f"token_id:{t}" if as_ids else self.piece(t, True).decode("utf-8", "replace")
        return name(tok), max(float(lp[tok]), -9999.0), {name(t): max(float(lp[t]), -9999.0) for t in ids}

    def generate(self, ids, p):
        """Yields (token, delta_text, logprob_entry|None, finish_reason, stop_reason) per generated token."""
        with self.lock:
            self._prefill(ids)
            dec = codecs.getincrementaldecoder("utf-8")("replace")  # holds split UTF-8 sequences
            text, sent, n_out = "", 0, 0
            # vLLM holds back len(longest stop)-1 chars while streaming so that a stop string is never half sent
            hold = 0 if p["include_stop"] or not p["stop"] else max(map(len, p["stop"])) - 1
            stop_ids = set(p["stop_token_ids"]) | (set() if p["ignore_eos"] else set(self.eog))
            while True:
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.llm.ctx, -1),
                                               shape=(self.n_vocab,))
                masked = logits
                if p["allowed"] is not None:
                    masked = np.full(self.n_vocab, -np.inf, dtype=np.float32)
                    masked[p["allowed"]] = logits[p["allowed"]]
                if p["bias"]:
                    masked = masked.astype(np.float64)
                    for t, b in p["bias"].items():
                        masked[t] += b
                if n_out < p["min_tokens"] and stop_ids:
                    masked = masked.copy()
                    masked[list(stop_ids)] = -np.inf
                tok = int(np.argmax(masked))  # first maximum, like llama.cpp's greedy sampler
                n_out += 1
                # V1 returns logprobs of the raw distribution (before allowed_token_ids/min_tokens masks)
                lp = None if p["logprobs"] is None else self.logprob_entry(logits, tok, p["logprobs"], p["as_ids"])
                finish = reason = None  # V1 scheduler order: length, then EOS, then stop ids
                if n_out >= p["max_tokens"] or len(ids) + n_out >= self.max_len:
                    finish = "length"
                elif tok == self.eos and not p["ignore_eos"]:
                    finish = "stop"
                elif tok in stop_ids:
                    finish, reason = "stop", tok
                # the stop token's own text is dropped, even with skip_special_tokens=false
                new = "" if finish == "stop" and not p["include_stop"] else dec.decode(self.piece(tok, not p["skip"]))
                if finish:
                    new += dec.decode(b"", final=True)
                text += new
                if new and p["stop"] and n_out > p["min_tokens"]:
                    for s in p["stop"]:  # first stop string in list order, searched in the new tail only
                        at = text.find(s, max(0, len(text) + 1 - len(new) - len(s)))
                        if at >= 0:
                            text = text[:at + len(s) if p["include_stop"] else at]
                            finish, reason = "stop", s
                            break
                delta = text[sent:] if finish else text[sent:max(sent, len(text) - hold)]
                sent += len(delta)
                yield tok, delta, lp, finish, reason
                if finish:
                    return
                self.llm.eval([tok])


def completion_params(model, body, args):
    if body.get("temperature") not in (None, 0, 0.0):
        raise ApiError(f"This test server decodes greedily only: temperature must be 0, got {body['temperature']}.")
    for name, neutral in (("presence_penalty", 0), ("frequency_penalty", 0), ("repetition_penalty", 1), ("n", 1),
                          ("best_of", 1), ("echo", False), ("suffix", None), ("use_beam_search", False),
                          ("prompt_logprobs", None)):
        if body.get(name) not in (None, neutral, {}):
            raise ApiError(f"`{name}`={body[name]!r} is not supported by this test server.")
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], (str, list)):
        prompt = prompt[0]
    if isinstance(prompt, str):
        ids = model.tokenize(prompt, field(body, "add_special_tokens", (bool,), True))
    elif isinstance(prompt, list) and prompt and all(isinstance(t, int) for t in prompt):
        model.check_ids(prompt, "prompt")
        ids = prompt
    else:
        raise ApiError("`prompt` must be one string or one list of token ids.")
    if not ids:
        raise ApiError("The decoder prompt cannot be empty")
    max_tokens = field(body, "max_tokens", (int,), 16)
    max_len = model.max_len
    if max_tokens is None:
        if len(ids) >= max_len:
            raise ApiError(f"This model's maximum context length is {max_len} tokens. However, you requested "
                           f"{len(ids)} tokens in the messages, Please reduce the length of the messages.")
        max_tokens = max_len - len(ids)
    if max_tokens < 1:
        raise ApiError(f"max_tokens must be at least 1, got {max_tokens}.")
    if len(ids) + max_tokens > max_len:
        raise ApiError(f"This model's maximum context length is {max_len} tokens. However, you requested "
                       f"{len(ids) + max_tokens} tokens ({len(ids)} in the messages, {max_tokens} in the "
                       f"completion). Please reduce the length of the messages or completion.")
    stop = field(body, "stop", (str, list), None)
    stop = [stop] if isinstance(stop, str) else [s for s in stop or [] if s]
    if not all(isinstance(s, str) for s in stop):
        raise ApiError("`stop` must be a string or a list of strings.")
    logprobs = field(body, "logprobs", (int,), None)
    if logprobs is not None and logprobs < 0:
        raise ApiError("`logprobs` must be a positive value.")
    if logprobs is not None and logprobs > args.max_logprobs:
        raise ApiError(f"Requested sample logprobs of {logprobs}, which is greater than max allowed: "
                       f"{args.max_logprobs}")
    allowed = field(body, "allowed_token_ids", (list,), None)
    if allowed is not None:
        if not allowed:
            raise ApiError("allowed_token_ids is not None and empty!")
        model.check_ids(allowed, "allowed_token_ids")
    # OpenAI's shape: {"token id": bias}; vLLM clamps each bias to [-100, 100] and adds it before sampling.
    bias = field(body, "logit_bias", (dict,), None) or {}
    try:
        bias = {int(k): max(-100.0, min(100.0, float(v))) for k, v in bias.items()}
    except (TypeError, ValueError):
        raise ApiError("`logit_bias` must map token ids to numbers.")
    model.check_ids(list(bias), "logit_bias")
    stop_token_ids = field(body, "stop_token_ids", (list,), None) or []
    model.check_ids(stop_token_ids, "stop_token_ids")
    stream_options = field(body, "stream_options", (dict,), None) or {}
    return ids, {
        "max_tokens": max_tokens, "stop": stop, "logprobs": None if args.no_logprobs else logprobs, "allowed": allowed,
        "bias": bias,
        "stop_token_ids": stop_token_ids, "min_tokens": field(body, "min_tokens", (int,), 0) or 0,
        "skip": field(body, "skip_special_tokens", (bool,), True) is not False,
        "include_stop": bool(field(body, "include_stop_str_in_output", (bool,), False)),
        "ignore_eos": bool(field(body, "ignore_eos", (bool,), False)),
        "as_ids": bool(field(body, "return_tokens_as_token_ids", (bool,), False)),
        "stream": bool(field(body, "stream", (bool,), False)),
        "usage": bool(stream_options.get("include_usage")),
    }


def dumps(obj):  # compact UTF-8, as Starlette's JSONResponse and pydantic's model_dump_json write it
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def legacy_logprobs(entries, offset):
    """vLLM's CompletionLogProbs: text_offset advances by the length of each token's logprob text."""
    out = {"text_offset": [], "token_logprobs": [], "tokens": [], "top_logprobs": []}
    for text, value, top in entries:
        out["text_offset"].append(offset)
        out["token_logprobs"].append(value)
        out["tokens"].append(text)
        out["top_logprobs"].append(top)
        offset += len(text)
    return out


class Handler(BaseHTTPRequestHandler):
    fault_lock = threading.Lock()
    requests = 0
    protocol_version = "HTTP/1.1"
    model = args = None  # set before serving

    def log_message(self, *a):
        pass

    def send(self, code, obj=None):
        data = b"" if obj is None else dumps(obj)
        self.send_response(code)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def chunk(self, data):  # chunked transfer encoding, as uvicorn streams a StreamingResponse
        self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self):
        a = self.args
        if self.path == "/health":
            return self.send(200)
        if self.path == "/version":
            return self.send(200, {"version": "0.8.5"})
        if self.path == "/v1/models":
            now = int(time.time())
            perm = {"id": f"modelperm-{uuid.uuid4().hex}", "object": "model_permission", "created": now,
                    "allow_create_engine": False, "allow_sampling": True, "allow_logprobs": True,
                    "allow_search_indices": False, "allow_view": True, "allow_fine_tuning": False,
                    "organization": "*", "group": None, "is_blocking": False}
            card = {"id": a.served_model_name, "object": "model", "created": now, "owned_by": "vllm",
                    "root": a.model, "parent": None, "max_model_len": a.max_model_len, "permission": [perm]}
            return self.send(200, {"object": "list", "data": [card]})
        self.no_route()

    def no_route(self):  # FastAPI's answers for an unknown path or a known path with the wrong method
        known = self.path in ("/health", "/version", "/v1/models", "/tokenize", "/detokenize", "/v1/completions")
        self.send(405 if known else 404, {"detail": "Method Not Allowed" if known else "Not Found"})

    def flaky_fault(self):
        """--flaky: a seeded share of completion requests fails as overloaded servers fail: the connection reset
        (a stream after its first tokens, any other request before it is answered), a 500, or a stall (nothing sent
        for 30 s). Returns True when this request was failed here; a stream to be cut is marked and cut later."""
        if not self.args.flaky or self.path != "/v1/completions":
            return False
        with Handler.fault_lock:
            Handler.requests += 1
            draw = random.Random(self.args.flaky * 1_000_003 + Handler.requests).random()
        if draw >= 0.2:
            return False
        kind = int(draw * 15)  # 0, 1, 2: each a third of the faults
        try:
            streamed = bool(json.loads(self.peek_body() or b"null").get("stream"))
        except (ValueError, AttributeError):
            streamed = False
        if kind == 0 and streamed:
            self.cut_after = 3  # reset mid-stream, after 3 tokens (see complete)
            return False
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if kind == 0:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif kind == 1:
            self.send(500, ApiError("simulated overload", "InternalServerError", 500).body)
        else:
            time.sleep(30)
            self.close_connection = True
        return True

    cut_after = None
    _body = None

    def peek_body(self):
        """The request body, read once (do_POST reads it again through rfile, which this replaces)."""
        if self._body is None:
            self._body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.rfile = io.BytesIO(self._body)
        return self._body

    def do_POST(self):
        if self.path not in ("/tokenize", "/detokenize", "/v1/completions"):
            return self.no_route()
        self.cut_after = None
        if self.flaky_fault():
            return
        try:
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
            except ValueError as e:
                raise ApiError(f"JSON decode error: {e}")
            if not isinstance(body, dict):
                raise ApiError("The request body must be a JSON object.")
            name = body.get("model")
            if name and name != self.args.served_model_name:
                raise ApiError(f"The model `{name}` does not exist.", "NotFoundError", 404)
            m = self.model
            if self.path == "/tokenize":
                prompt = field(body, "prompt", (str,), None)
                if prompt is None:
                    raise ApiError("`prompt` is required (chat messages are not supported here).")
                ids = m.tokenize(prompt, field(body, "add_special_tokens", (bool,), True))
                strs = ([llama_cpp.llama_vocab_get_text(m.vocab, t).decode("utf-8", "replace") for t in ids]
                        if body.get("return_token_strs") else None)
                return self.send(200, {"count": len(ids), "max_model_len": self.args.max_model_len,
                                       "tokens": ids, "token_strs": strs})
            if self.path == "/detokenize":
                ids = field(body, "tokens", (list,), None) or []
                m.check_ids(ids, "tokens")
                # vLLM's /detokenize is tokenizer.decode(ids): special tokens rendered
                return self.send(200, {"prompt": b"".join(m.piece(t, True) for t in ids).decode("utf-8", "replace")})
            ids, p = completion_params(m, body, self.args)
        except ApiError as e:
            return self.send(e.code, e.body)
        self.complete(ids, p)

    def complete(self, ids, p):
        rid, created, name = f"cmpl-{uuid.uuid4().hex}", int(time.time()), self.args.served_model_name
        head = {"id": rid, "object": "text_completion", "created": created, "model": name}
        usage = lambda n: {"prompt_tokens": len(ids), "total_tokens": len(ids) + n, "completion_tokens": n,
                           "prompt_tokens_details": None}
        events = self.model.generate(ids, p)
        if not p["stream"]:
            text, entries, n, finish, reason = "", [], 0, None, None
            try:
                for tok, delta, lp, finish, reason in events:
                    text, n = text + delta, n + 1
                    entries += [lp] if lp else []
            except Exception as e:  # e.g. llama_decode failed
                return self.send(500, ApiError(str(e), "InternalServerError", 500).body)
            choice = {"index": 0, "text": text,
                      "logprobs": legacy_logprobs(entries, 0) if p["logprobs"] is not None and entries else None,
                      "finish_reason": finish, "stop_reason": reason, "prompt_logprobs": None}
            return self.send(200, dict(head, choices=[choice], usage=usage(n)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent, n = 0, 0
        try:
            try:
                for tok, delta, lp, finish, reason in events:  # one event per token, as V1 streams
                    n += 1
                    if self.cut_after is not None and n > self.cut_after:  # --flaky: the connection dies mid-stream
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        raise ConnectionResetError("flaky: cut mid-stream")
                    choice = {"index": 0, "text": delta, "logprobs": legacy_logprobs([lp], sent) if lp else None,
                              "finish_reason": finish, "stop_reason": reason}
                    sent += len(delta)
                    self.chunk(b"data: %s\n\n" % dumps(dict(head, choices=[choice], usage=None)))
                if p["usage"]:  # vLLM writes this one with exclude_none
                    last = dict(head, choices=[], usage={k: v for k, v in usage(n).items() if v is not None})
                    self.chunk(b"data: %s\n\n" % dumps(last))
            except (BrokenPipeError, ConnectionResetError):
                raise
            except Exception as e:  # vLLM reports a failure inside the stream, then still sends [DONE]
                err = {"error": ApiError(str(e)).body}
                self.chunk(b"data: %s\n\n" % dumps(err))
            self.chunk(b"data: [DONE]\n\n")
            self.chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # client went away: vLLM aborts the request, so do we
        finally:
            events.close()  # releases the generation lock if we stopped early


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--served-model-name")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--max-model-len", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-logprobs", type=int, default=20)
    ap.add_argument("--flaky", type=int, default=0, metavar="SEED",
                    help="fail a seeded fifth of completion requests (reset, 500 or a 30 s stall)")
    ap.add_argument("--no-logprobs", action="store_true",
                    help="answer without logprobs whatever is asked (a server that does not return them)")
    ap.add_argument("--no-prefix-cache", action="store_true",
                    help="evaluate every prompt from scratch (a fixed schedule, for exact parity checks)")
    args = ap.parse_args()
    args.served_model_name = args.served_model_name or args.model
    # A parent may start us with signals blocked; SIGTERM must end the server.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    Handler.model = Model(args.model, args.max_model_len, args.threads, not args.no_prefix_cache)
    Handler.args = args
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"READY http://{args.host}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
