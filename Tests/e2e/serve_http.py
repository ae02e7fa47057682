#!/usr/bin/env python3
"""End to end: `rank1 serve --http` driven by real clients. The `cohere` SDK (v1 and v2) pointed at it with
`base_url`; a Jina-shaped request; a streamed request read event by event; BM25 search reranked, equal to `rank1
rerank` on the same candidates; the trace cache shared by identical requests; every bad input (malformed JSON, wrong
and missing fields named, too many documents, a body too large, no or a wrong key, the key never logged); a client
that goes away stops its judgments; /health, /metrics, /openapi.json; SIGTERM ends it cleanly. Then a bounded load:
64 clients, 2,000 requests against a small queue and deadline: every request answered with a result, a 429 or a
504, none lost or hung, the server's memory flat, p50/p99 reported."""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary, free_port, root, start_server  # noqa: E402

import cohere  # noqa: E402

check = Checks("serve http")
debian = os.path.join(root, ".index", "debian")
KEY = "sk-test-" + "7f3a9c" * 4
work = tempfile.mkdtemp(prefix="rank1-serve-")
key_file = os.path.join(work, "key")
open(key_file, "w").write(KEY + "\n")
os.environ["XDG_CACHE_HOME"] = os.path.join(work, "cache")  # the trace cache of this run alone
env = os.environ
MODEL = ["--model", "smollm2", "--threads", "2"]
DOCS = ["Cats are carnivores: they eat meat and fish.", "The stock market fell sharply today.",
        "Kittens drink their mother's milk.", "A recipe for vegetable soup."]


def call(port, path, body=None, key=KEY, raw=None, headers=None, timeout=120):
    """(status, headers, parsed JSON or text) of one request."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {}), **(headers or {})}
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    c.request("POST" if data is not None else "GET", path, body=data, headers=h)
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    try:
        return r.status, dict(r.getheaders()), json.loads(text)
    except ValueError:
        return r.status, dict(r.getheaders()), text


def serve(port, *flags, log):
    cmd = [binary, "serve", "--http", f"127.0.0.1:{port}", *MODEL, *flags]
    return start_server(cmd, f"http://127.0.0.1:{port}/health", log), cmd


def sse_events(port, body):
    """Yields (seconds since the request, event name, data) as the server sends them."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.time()
    c.request("POST", "/v1/rerank", body=json.dumps(body).encode(),
              headers={"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"})
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Type") == "text/event-stream", (r.status, r.getheaders())
    name = None
    while True:
        line = r.fp.readline()
        if not line:
            return
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            yield time.time() - t0, name, json.loads(line[6:])


log = open(os.path.join(work, "serve.log"), "w+")
port = free_port()
server, _ = serve(port, "--budget", "24", "--index", debian, "--api-key-file", key_file, "--max-documents", "8",
                  "--max-body", "4096", log=log)
try:
    # -- The Cohere SDK, v1 and v2.
    co = cohere.Client(api_key=KEY, base_url=f"http://127.0.0.1:{port}")
    r = co.rerank(model="rank1", query="what do cats eat", documents=DOCS, top_n=3, return_documents=True)
    scores = [x.relevance_score for x in r.results]
    check(len(r.results) == 3 and scores == sorted(scores, reverse=True), "cohere v1: top_n results, by relevance", str(r))
    check(all(x.document.text == DOCS[x.index] for x in r.results), "cohere v1: each result's document is the one at its index")
    check(r.meta.api_version.version == "1" and r.id, "cohere v1: id and meta")
    co2 = cohere.ClientV2(api_key=KEY, base_url=f"http://127.0.0.1:{port}")
    r2 = co2.rerank(model="rank1", query="what do cats eat", documents=DOCS)
    check(sorted(x.index for x in r2.results) == [0, 1, 2, 3], "cohere v2: every document ranked", str(r2))
    v1 = {x.index: x.relevance_score for x in r.results}
    check(all(abs(v1[x.index] - x.relevance_score) < 1e-12 for x in r2.results if x.index in v1),
          "cohere v1 and v2 give the same scores for the same documents")

    # -- Jina's shape, reasoning, the shared trace cache.
    jina = {"model": "jina-reranker-v2-base-multilingual", "query": "what do cats eat", "documents": [{"text": d} for d in DOCS[:2]],
            "top_n": 2, "return_reasoning": True}
    s, _, j = call(port, "/rerank", jina)
    ok = s == 200 and j.get("model") == jina["model"] and j["usage"]["total_tokens"] > 0
    check(ok and all(x["document"]["text"] == DOCS[x["index"]] for x in j["results"]), "jina: model, usage, documents by default", str(j))
    first = j["results"][0] if ok else {}
    check(isinstance(first.get("reasoning"), str) and first.get("tokens", 0) > 0 and "direct_score" in first and "forced_close" in first,
          "return_reasoning: reasoning, tokens, direct score, forced close", str(first))
    t0 = time.time()
    s, _, again = call(port, "/rerank", jina)
    cached_seconds = time.time() - t0
    check(s == 200 and all(x["cached"] for x in again["results"])
          and [(x["index"], x["relevance_score"]) for x in again["results"]] == [(x["index"], x["relevance_score"]) for x in j["results"]],
          f"an identical request is answered from the trace cache ({cached_seconds:.2f} s)", str(again))

    # -- A streamed request, read event by event.
    events = list(sse_events(port, {"query": "milk for kittens", "documents": DOCS[:3], "stream": True}))
    names = [e[1] for e in events]
    tokens = [e for e in events if e[1] == "token"]
    verdicts = [e for e in events if e[1] == "verdict"]
    results = [e for e in events if e[1] == "results"]
    check(tokens and verdicts and results and names[-1] == "results", "stream: tokens, verdicts, then the results", str(names[:8]))
    check(len(verdicts) == 3 and sorted(v[2]["index"] for v in verdicts) == [0, 1, 2], "stream: one verdict per document")
    check(tokens[0][0] < results[0][0] - 0.05 if tokens and results else False,
          f"stream: the first token came before the end ({tokens[0][0]:.2f} s vs {results[0][0]:.2f} s)" if tokens and results else "stream")
    if results and verdicts:
        by = {v[2]["index"]: v[2]["relevance_score"] for v in verdicts}
        check([x["relevance_score"] for x in results[0][2]["results"]] == sorted(by.values(), reverse=True),
              "stream: the final ranking is the verdicts' scores, sorted")
        joined = {i: "".join(t[2]["text"] for t in tokens if t[2]["index"] == i) for i in by}
        # Early exit ends a chain at a sentence: the verdict's reasoning is the streamed text up to there.
        check(all(joined[v[2]["index"]].startswith(v[2]["reasoning"]) and (v[2]["early_exit"] or joined[v[2]["index"]] == v[2]["reasoning"])
                  for v in verdicts), "stream: each verdict's reasoning is its streamed tokens (up to an early exit)")

    # -- Search over the server's index, reranked: the scores `rank1 rerank` gives the same candidates.
    s, _, found = call(port, "/v1/search", {"query": "convert video files to animated gif", "top_k": 5, "rerank": 3})
    ok = s == 200 and len(found["results"]) == 5
    check(ok and all("relevance_score" in x for x in found["results"][:3]) and all("relevance_score" not in x for x in found["results"][3:]),
          "search: the first 3 judged and ranked by Rank1, the rest in BM25 order", str(found)[:300])
    cli = subprocess.run([binary, "rerank", debian, "--query", "convert video files to animated gif", "--k", "3", "--budget", "24",
                          *MODEL, "--no-cache", "--jsonl"], capture_output=True, text=True, env=env)
    cli_scores = {}
    for line in cli.stdout.splitlines():
        e = json.loads(line)
        if e.get("event") == "verdict":
            cli_scores[e["id"]] = e["score"]
    served = {x["id"]: x["relevance_score"] for x in found["results"][:3]} if ok else {}
    check(served and served.keys() == cli_scores.keys() and all(abs(served[k] - cli_scores[k]) < 1e-9 for k in served),
          "search: the service's scores equal `rank1 rerank`'s on the same candidates", f"{served} vs {cli_scores} {cli.stderr[-300:]}")

    # -- Bad input: each refused with its status and a message that names what is wrong.
    bad = [
        ("malformed JSON", b'{"query": "q", "documents": [', 400, "malformed JSON"),
        ("a document without text", json.dumps({"query": "q", "documents": ["a", {"title": "t"}]}).encode(), 400, "documents[1].text: missing"),
        ("top_n of the wrong type", json.dumps({"query": "q", "documents": ["a"], "top_n": "2"}).encode(), 400, "top_n: expected an integer"),
        ("no query", json.dumps({"documents": ["a"]}).encode(), 400, "query: missing"),
        ("an instruction without FILL_QUERY_HERE", json.dumps({"query": "q", "documents": ["a"], "instruction": "judge it"}).encode(), 400,
         "instruction:"),
        ("9 documents (--max-documents 8)", json.dumps({"query": "q", "documents": ["a"] * 9}).encode(), 413, "at most 8 per request"),
        ("a body over --max-body", json.dumps({"query": "q", "documents": ["x" * 5000]}).encode(), 413, "at most 4096 bytes"),
    ]
    for label, raw, status, words in bad:
        s, _, b = call(port, "/v1/rerank", raw=raw)
        check(s == status and words in b.get("message", ""), f"{label}: {status} naming it", f"{s} {b}")
    s, _, b = call(port, "/v1/rerank", {"query": "q", "documents": ["a"]}, key=None)
    check(s == 401 and "API key is required" in b["message"], "no API key: 401", f"{s} {b}")
    s, _, b = call(port, "/v1/rerank", {"query": "q", "documents": ["a"]}, key=KEY[:-1] + "x")
    check(s == 401 and "not accepted" in b["message"], "a wrong API key: 401", f"{s} {b}")
    s, _, b = call(port, "/v1/search", {"query": "q"}, key="wrong")
    check(s == 401, "search needs the key too")

    # -- A client that goes away: its judgments stop, the next request is not held up by them.
    def metric(name):
        _, _, text = call(port, "/metrics", key=None)
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))
    cancelled = metric('rank1_failures_total{kind="cancelled"}')
    many = {"query": "gone", "documents": [f"document number {i} about many things" for i in range(8)]}
    sock = socket.create_connection(("127.0.0.1", port))
    payload = json.dumps(many).encode()
    sock.sendall(b"POST /v1/rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " + KEY.encode()
                 + b"\r\nContent-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)
    time.sleep(1.0)
    sock.close()
    t0 = time.time()
    s, _, b = call(port, "/v1/rerank", {"query": "right after", "documents": ["one short document"]})
    after = time.time() - t0
    time.sleep(0.5)
    check(s == 200 and metric('rank1_failures_total{kind="cancelled"}') == cancelled + 1,
          f"a client that disconnects cancels its judgments (the next request took {after:.1f} s)", f"{s} {b}")
    gone = sse_events(port, {"query": "gone again", "documents": many["documents"], "stream": True})
    next(gone)
    gone.close()  # the stream's connection dropped mid-job
    s, _, b = call(port, "/v1/rerank", {"query": "after a stream", "documents": ["another short document"]})
    time.sleep(2.5)
    check(s == 200 and metric("rank1_queue_depth") == 0, "a streamed client that disconnects frees the judge", f"{s} {b}")

    # -- Health, metrics, the OpenAPI document; the key never in the log.
    s, _, h = call(port, "/health", key=None)
    check(s == 200 and h["status"] == "ok" and "SmolLM2" in h["backend"], "health: ok, with the model", str(h))
    _, _, text = call(port, "/metrics", key=None)
    check(all(m in text for m in ["rank1_requests_total{", "rank1_judgments_total", "rank1_reasoning_tokens_total", "rank1_queue_depth",
                                  'rank1_failures_total{kind="bad_request"}', "rank1_decode_tokens_per_second", "rank1_request_duration_seconds"]),
          "metrics: Prometheus text with requests, judgments, tokens, tokens/s, queue, failures, durations")
    check(metric('rank1_failures_total{kind="bad_request"}') >= 5 and metric('rank1_failures_total{kind="too_large"}') == 2
          and metric('rank1_failures_total{kind="unauthorized"}') == 3, "metrics: failures counted by kind")
    s, _, doc = call(port, "/openapi.json", key=None)
    check(s == 200 and {"/v1/rerank", "/v2/rerank", "/rerank", "/v1/search", "/health", "/metrics"} <= set(doc["paths"]),
          "openapi.json describes every route")
finally:
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        code = "hung"
log.seek(0)
text = log.read()
check(code == 0, f"SIGTERM: the server ends cleanly (exit {code})")
check(KEY not in text and KEY[:12] not in text, "the API key is never logged")

# -- Not ready: a fleet endpoint that does not answer keeps /health at 503, rerank requests too (with Retry-After).
dead = free_port()
port = free_port()
proc = subprocess.Popen([binary, "serve", "--http", str(port), "--endpoint", f"http://127.0.0.1:{dead}/v1", "--model", "m"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
try:
    time.sleep(2)
    s, _, h = call(port, "/health", key=None)
    check(s == 503 and h["status"] == "loading" and "waiting for the servers" in h["message"], "health: 503 until a fleet endpoint serves", str(h))
    s, headers, b = call(port, "/v1/rerank", {"query": "q", "documents": ["a"]})
    check(s == 503 and headers.get("Retry-After") == "5", "rerank before ready: 503 with Retry-After", f"{s} {headers} {b}")
finally:
    proc.kill()
    proc.wait()

# -- Load: 64 clients, 2,000 requests; a queue of 32 and a 4 s deadline, so the three answers all happen. A client told
# 429 waits a little (0.1 to 0.3 s) before its next request, as a client that respects back-pressure does.
port = free_port()
server, _ = serve(port, "--budget", "8", "--queue", "32", "--request-deadline", "4", log=log)


def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


statuses, latencies, errors, lock = {}, [], [], threading.Lock()
rss_samples = []
todo = list(range(2000))
QUERIES = [f"question {i} about cats and food" for i in range(8)]
# Most requests repeat one of 16 judged before (the trace cache answers them at once); every 40th is new and judged
# while the others wait, so the line fills and deadlines pass.
for n in range(16):
    call(port, "/v1/rerank", {"query": QUERIES[(n // 2) % len(QUERIES)], "documents": DOCS[:2] if n % 2 else DOCS[2:]}, key=None)


def client():
    while True:
        with lock:
            if not todo:
                return
            n = todo.pop()
        query = QUERIES[(n // 2) % len(QUERIES)] if n % 40 else f"a new question {n}"
        body = {"query": query, "documents": DOCS[:2] if n % 2 else DOCS[2:]}
        t0 = time.time()
        try:
            s, _, b = call(port, "/v1/rerank", body, key=None, timeout=60)
            ok = s in (200, 429, 504) and (s != 200 or len(b["results"]) == 2) and (s != 429 or "queue is full" in b["message"])
        except Exception as e:  # noqa: BLE001 (a lost or hung request is the failure measured)
            s, ok = f"{type(e).__name__}", False
        if s == 429:
            time.sleep(0.1 + (n % 5) * 0.05)
        with lock:
            statuses[s] = statuses.get(s, 0) + 1
            latencies.append(time.time() - t0 - (0.1 + (n % 5) * 0.05 if s == 429 else 0))
            if not ok:
                errors.append((n, s))
            if len(latencies) % 250 == 0:
                rss_samples.append(rss(server.pid))


try:
    rss_start = rss(server.pid)
    t0 = time.time()
    threads = [threading.Thread(target=client) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    wall = time.time() - t0
    hung = sum(t.is_alive() for t in threads)
finally:
    server.kill()
    server.wait()
latencies.sort()
p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
print(f"  load: {len(latencies)} requests in {wall:.1f} s by 64 clients: {statuses}; p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; "
      f"server RSS {rss_start} MiB at the start, {rss_samples} MiB every 250 requests")
check(len(latencies) == 2000 and hung == 0 and not errors, "load: all 2,000 answered with a result, a 429 or a 504; none lost or hung",
      f"{statuses} {errors[:5]}")
check(statuses.get(200, 0) >= 1000 and statuses.get(429, 0) > 0, "load: most get results, and 429s happen", str(statuses))
half = len(rss_samples) // 2
check(len(rss_samples) >= 4 and max(rss_samples[half:]) <= max(rss_samples[:half]) * 1.15 + 8,
      "load: the server's memory is flat (the second half's peak within 15% of the first's)", str(rss_samples))
check.finish()
