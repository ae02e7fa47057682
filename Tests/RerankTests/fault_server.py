#!/usr/bin/env python3
"""A misbehaving OpenAI-compatible server for the remote backend's fault tests (loopback only). The
passage text in the prompt names the behaviour: ok, http500, badjson, truncated, drop, stall, echo (the reasoning
repeats the passage as the server received it), html200, bigline (a 10 MB line), forever (a token every 0.3 s,
never ending), trickle (one byte a second), reset (a token, then a TCP reset), badutf8, http401 and http500 (both
echo the Authorization header in their body, as careless servers do), http404, nologprobs (verdicts without
logprobs), interrupted (a stream ended by [DONE] without a finish_reason, as llama-cpp-python's server cuts one when
another request arrives), interruptonce (the first stream of a prompt interrupted, the next one whole), eotverdict
(verdicts as llama-cpp-python gives them where the model would end its turn: no token at all unless end-of-turn is
masked, and " true"/" false" only in the whole distribution), widerefused / widegarbled (" true"/" false" not in the
top 20, and the whole distribution refused with HTTP 400 / answered with cut-off JSON), budget (max_tokens tokens,
then "length"), ctxfull ("length" after two tokens, as a server whose context is full). Started with the argument
`down`, every stream is answered with an empty 200 (a server shutting down: no events at all). /tokenize and /detokenize answer in vLLM's shape with a
toy tokenizer: one token per word or punctuation mark (so `</think>` is several tokens, as in generic models), and
`<|im_end|>` one token (an end-of-turn marker). With `--tls CERT KEY` it speaks https (the https fault tests)."""
import json
import struct
import re
import signal
import socket
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


VOCAB = []  # the toy tokenizer's words, by token id
DOWN = "down" in sys.argv[1:]  # every stream answered with nothing: a server going down
SEEN = set()  # interruptonce: prompts whose first stream was cut
# A kept-alive connection's next request is met with a close, no answer: the race of a server's idle timeout
# (the client sent on a connection the server was closing). GET /dropped says how many.
DROP_REUSED = "dropreused" in sys.argv[1:]
DROPPED = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def finish(self):
        super().finish()
        # A TLS server ends a body that runs until close with close_notify (a clean end: what is missing is the
        # stream's own end, as over http); `drop` closes without it, as a connection that breaks.
        if isinstance(self.request, ssl.SSLSocket) and not getattr(self, "dropped", False):
            try:
                self.request.settimeout(2)
                self.request.unwrap()
            except (OSError, ValueError):
                pass

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()

    def sse(self, chunks, done=True, close_early=False, stall=False):
        self.start_stream()
        for c in chunks:
            self.wfile.write(b"data: " + c.encode() + b"\n\n")
            self.wfile.flush()
        if stall:
            time.sleep(30)
        if close_early:
            self.dropped = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if done:
            self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def answer(self, data, status=200, kind="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def json_answer(self, obj, status=200):
        self.answer(json.dumps(obj).encode(), status)

    def one_token(self, text, top, offset):
        """A verdict request's answer: `text` generated, `top` its logprobs (legacy OpenAI shape)."""
        lp = {"tokens": [text], "token_logprobs": [top[text]], "top_logprobs": [top], "text_offset": [offset]}
        return self.json_answer({"choices": [{"text": text, "logprobs": lp, "finish_reason": "length"}]})

    def redirected(self):
        """/moved308/X and /moved301/X answer with that redirect to /X; /loop redirects to itself."""
        for code in ("308", "301"):
            if self.path.startswith(f"/moved{code}/"):
                target = self.path[len(f"/moved{code}"):]
                break
        else:
            if self.path != "/loop":
                return False
            code, target = "308", "/loop"
        self.send_response(int(code))
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    def do_GET(self):
        if self.redirected():
            return
        if self.path == "/dropped":
            return self.json_answer({"dropped": DROPPED[0]})
        self.send_error(501, "Unsupported method ('GET')")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.redirected():
            return
        if DROP_REUSED and getattr(self, "served", 0) > 0:
            DROPPED[0] += 1
            self.close_connection = True
            return
        self.served = getattr(self, "served", 0) + 1
        if self.path == "/tokenize":
            ids = []
            for w in re.findall(r"<\|im_end\|>|\w+|[^\w\s]", body["prompt"]):
                if w not in VOCAB:
                    VOCAB.append(w)
                ids.append(VOCAB.index(w))
            return self.json_answer({"tokens": ids, "count": len(ids)})
        if self.path == "/detokenize":
            return self.json_answer({"prompt": " ".join(VOCAB[i] for i in body["tokens"])})
        prompt = body["prompt"]
        mode = prompt.split("Passage: ", 1)[1].split()[0] if "Passage: " in prompt else "ok"
        piece = lambda t, f=None: json.dumps({"choices": [{"index": 0, "text": t, "finish_reason": f}]})
        if not body.get("stream") and mode == "nologprobs":
            return self.json_answer({"choices": [{"text": " true", "finish_reason": "length"}]})
        if not body.get("stream") and mode in ("widerefused", "widegarbled") and body.get("logprobs", 0) > 20:
            if mode == "widegarbled":
                return self.answer(b'{"choices": [{"text": "\\n", "logprobs": {"top_logprobs": [{"\\n": -0.1')
            return self.json_answer({"error": {"message": "logprobs must be at most 20", "type": "invalid_request_error"}}, 400)
        if not body.get("stream") and mode in ("widerefused", "widegarbled"):
            return self.one_token("\n", {"\n": -0.1, " maybe": -2.5}, len(prompt))
        if not body.get("stream") and mode == "eotverdict":
            if "logit_bias" not in body:
                lp = {"text_offset": [], "token_logprobs": [], "tokens": [], "top_logprobs": []}
                return self.json_answer({"choices": [{"text": "", "logprobs": lp, "finish_reason": "stop"}]})
            top = {"\n": -0.1, " maybe": -2.5} if body.get("logprobs", 0) <= 20 else {"\n": -0.1, " true": -3.0, " false": -1.0}
            return self.one_token("\n", top, len(prompt))
        if not body.get("stream"):
            return self.one_token(" true", {" true": -0.2, " false": -1.8, "\n": -4.0}, len(prompt))
        if DOWN:
            return self.answer(b"", kind="text/plain")
        auth = self.headers.get("Authorization", "")
        if mode in ("http500", "http401", "http404"):
            status = int(mode[4:])
            message = {500: "CUDA out of memory", 401: "invalid key", 404: "Not Found"}[status]
            if auth:
                message += f" (received Authorization: {auth})"
            self.json_answer({"error": {"message": message, "type": "server_error"}}, status)
        elif mode == "html200":
            page = b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>It works</body></html>\n"
            self.answer(page, kind="text/html")
        elif mode == "bigline":
            self.start_stream()
            self.wfile.write(b"data: " + b"x" * (10 << 20) + b"\n\n")
        elif mode == "forever":
            self.start_stream()
            try:
                for _ in range(2000):
                    self.wfile.write(b"data: " + piece(" more").encode() + b"\n\n")
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass
        elif mode == "trickle":
            self.start_stream()
            try:
                for b in (b"data: " + piece(" slow").encode()) * 100:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
        elif mode == "reset":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"data: " + piece("The passage").encode() + b"\n\n")
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True  # the handler's files hold the socket until it ends: end it now
        elif mode == "badutf8":
            self.start_stream()
            self.wfile.write(b'data: {"choices": [{"index": 0, "text": "caf\xe9 \xff\xfe", "finish_reason": null}]}\n\n')
        elif mode == "nologprobs":
            self.sse([piece("The passage is about cats."), piece(" It matches.\n</think>"), piece(" true", "stop")])
        elif mode == "badjson":
            self.sse([piece("Hmm"), '{"choices": [{"text": "broken'])
        elif mode == "interrupted" or (mode == "interruptonce" and prompt not in SEEN):
            SEEN.add(prompt)
            self.sse([piece("The passage"), piece(" says")])
        elif mode == "truncated":
            self.sse([piece("The passage"), piece(" says")], done=False)
        elif mode == "drop":
            self.sse([piece("The passage")], close_early=True)
        elif mode == "echo":
            passage = prompt.split("Passage: ", 1)[1].rsplit("\n<think>", 1)[0]
            self.sse([piece(passage), piece("\n</think>"), piece(" true", "stop")])
        elif mode == "budget":  # the budget runs out before </think>: the server ends the stream with "length"
            n = body.get("max_tokens", 16)
            self.sse([piece("The passage is long.")] + [piece(" And") for _ in range(n - 2)] + [piece(" so", "length")])
        elif mode == "ctxfull":  # the server's context fills before the tokens asked for: "length" all the same
            self.sse([piece("The passage is long."), piece(" And so on", "length")])
        elif mode == "stall":
            self.sse([piece("Thinking")], stall=True)
        else:
            self.sse([piece("The passage is about cats."), piece(" It matches.\n</think>", None), piece(" true", "stop")])


# A parent may start us with signals blocked; SIGTERM must end the server.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
if "--tls" in sys.argv:
    cert, key = sys.argv[sys.argv.index("--tls") + 1:][:2]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    # The handshake in each request's own thread, so a client that stalls it holds up nobody else.
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
print(server.server_address[1], flush=True)
server.serve_forever()
