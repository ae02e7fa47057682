#!/usr/bin/env python3
"""Several servers and no router (issue 14): `--endpoint` given twice, two real llama-cpp-python servers of the same
model. One is killed (kill -9) right after it gave its first verdict, then started again on the same port. The run
must end with every candidate judged, each exactly as one server alone judges it; the killed endpoint taken out,
asked again and back in service; the counts per endpoint adding up; a stream the server cuts judged again, never
ended as if the model had stopped (a monitor polling /v1/models cuts streams on purpose). The same again with the
server stopped by SIGTERM (a graceful shutdown, as a rolling restart does it) instead of kill -9. A fleet with a dead endpoint from the start
judges everything on the live one; a fleet with no live endpoint stops with exit 1 and names each.
With RANK1_FLEET_SCHEME=https (remote_fleet_https.py) all of it runs over https, the servers' certificate signed by a
private CA made at test time and trusted through --ca-file; then a client that does not trust the CA is refused with
a TLS failure that names --ca-file, and $SSL_CERT_FILE is honoured."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary, free_port, python, smollm2, start_server  # noqa: E402

SCHEME = os.environ.get("RANK1_FLEET_SCHEME", "http")
check = Checks("remote fleet" + (" over https" if SCHEME == "https" else ""))
TLS = tempfile.mkdtemp(prefix="rank1-fleet-ca-") if SCHEME == "https" else None
if TLS:
    subprocess.run(["bash", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support", "make_test_ca.sh"), TLS],
                   check=True)
    os.environ["SSL_CERT_FILE"] = os.path.join(TLS, "ca.pem")  # this script's own requests (health, monitor) trust the CA
QUERY = "protein folding in cells"
K = 40


def server(port, log):
    tls = ["--ssl_keyfile", os.path.join(TLS, "server.key"), "--ssl_certfile", os.path.join(TLS, "server.pem")] if TLS else []
    return start_server([python, "-m", "llama_cpp.server", "--model", smollm2(), "--model_alias", "smol", "--host", "127.0.0.1",
                         "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", *tls], f"{SCHEME}://127.0.0.1:{port}/v1/models", log)


def rerank_args(index, *endpoints, k=K):
    args = [binary, "rerank", index, "--query", QUERY, "--k", str(k), "--jsonl", "--no-cache", "--model", "smol",
            "--parallel", "2", "--budget", "24", "--timeout", "20"] + (["--ca-file", os.path.join(TLS, "ca.pem")] if TLS else [])
    for e in endpoints:
        args += ["--endpoint", e]
    return args


def events_of(stdout):
    return [json.loads(l) for l in stdout.splitlines() if l.startswith("{")]


def watched(args, on_event):
    """Runs a rerank, calling on_event(event, events so far) as each --jsonl line arrives. Returns (exit code,
    events, stderr)."""
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err, events = [], []
    reader = threading.Thread(target=lambda: err.append(p.stderr.read()), daemon=True)
    reader.start()
    for line in p.stdout:
        if line.startswith("{"):
            events.append(json.loads(line))
            on_event(events[-1], events)
    p.wait(timeout=900)
    reader.join(timeout=60)
    return p.returncode, events, "".join(err)


def stop_and_restart(how, index, a, b, pb, procs, log, alone):
    """Stops server b after its first verdict (SIGKILL: no goodbye; SIGTERM: a graceful shutdown, what a rolling restart
    sends), starts it again on the same port, and checks that the run ends as one server alone judges."""
    sb = procs[1]
    print(f"two servers, {b} stopped with {how} after its first verdict, then started again")
    killed_at = None

    def kill_and_restart(e, seen):
        nonlocal killed_at
        if killed_at is None and e["event"] == "verdict" and e.get("endpoint") == b:
            if how == "SIGKILL":
                sb.kill()  # no goodbye on its open streams
            else:
                sb.terminate()  # uvicorn's graceful shutdown: it stops taking requests, ends what it has
            sb.wait(timeout=300)
            killed_at = sum(1 for x in seen if x["event"] == "verdict")
        if e["event"] == "endpoint" and e["endpoint"] == b and not e["up"] and killed_at is not None and procs[1] is sb:
            procs[1] = server(pb, log)  # the same port: the fleet asks it again and it comes back
    rc, events, err = watched(rerank_args(index, a, b), kill_and_restart)
    verdicts = [e for e in events if e["event"] == "verdict"]
    ids = [v["id"] for v in verdicts]
    check(killed_at is not None, f"{b} gave a verdict before it was stopped ({how} after verdict {killed_at})")
    check(rc == 0, "exit 0", f"rc {rc}: {err[-600:]}")
    check(len(ids) == K and len(set(ids)) == K, f"every candidate judged once ({len(set(ids))} of {K}, {len(ids)} verdicts)")
    check(not any(e["event"] == "failed" for e in events), "no judgment failed")
    fleet = {v["id"]: v for v in verdicts}
    differ = [(i, alone.get(i, {}).get("score"), fleet[i]["score"], fleet[i]["endpoint"], alone.get(i, {}).get("reasoning"),
               fleet[i]["reasoning"]) for i in fleet if i not in alone or alone[i]["reasoning"] != fleet[i]["reasoning"]
              or abs(alone[i]["score"] - fleet[i]["score"]) >= 1e-4]
    check(not differ, f"each judged exactly as by one server alone (reasoning equal, score within 1e-4): {K - len(differ)} of {K}",
          "\n       ".join(map(repr, differ[:3])))
    out = [e for e in events if e["event"] == "endpoint" and e["endpoint"] == b and not e["up"]]
    back = [e for e in events if e["event"] == "endpoint" and e["endpoint"] == b and e["up"]]
    check(out, f"{b} taken out", out[0]["reason"] if out else "")
    if out:
        print(f"       reason: {out[0]['reason']}")
    check(back, f"{b} asked again and back in service")
    restarted = [e for e in events if e["event"] == "restarted"]
    moved = [e for e in restarted if "judged again on another endpoint" in e["reason"]]
    # The harness polls the restarted server's /v1/models until it answers; llama-cpp-python cuts a stream
    # running meanwhile ([DONE], no finish_reason), and the client must judge that chain again, not end it.
    cut = [e for e in restarted if "without a finish_reason" in e["reason"]]
    check(len(moved) + len(cut) == len(restarted),
          f"{len(moved)} passages in flight on the killed server moved to another endpoint; {len(cut)} cut streams judged again",
          "; ".join(e["reason"] for e in restarted if e not in moved and e not in cut)[:600])
    fin = next((e for e in events if e["event"] == "finished"), {})
    served = {s["endpoint"]: s for s in fin.get("endpoints", [])}
    check(set(served) == {a, b} and served[a]["judged"] + served[b]["judged"] == K and served[b]["judged"] >= 2
          and served[b]["taken_out"] >= 1, f"counts per endpoint add up, the restarted one served again: {served}")
    by_endpoint = {}
    for v in verdicts:
        by_endpoint[v["endpoint"]] = by_endpoint.get(v["endpoint"], 0) + 1
    check(all(by_endpoint.get(e, 0) == served[e]["judged"] for e in served) if served else False,
          f"the verdicts name the endpoint that judged them: {by_endpoint}")
    return procs[1]


def trust(index, a):
    """Over https: who trusts the private CA. Without it a client is refused by TLS, told to give --ca-file; with
    $SSL_CERT_FILE naming the CA (as OpenSSL and Python read it) it judges as with --ca-file."""
    print("https: a client that does not trust the server's CA, then one told by $SSL_CERT_FILE")
    plain = [x for x in rerank_args(index, a, k=3) if x != "--ca-file" and not x.endswith("ca.pem")]
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "RANK1_CA_FILE")}
    r = subprocess.run(plain, capture_output=True, text=True, timeout=300, env=env)
    check(r.returncode == 1 and "TLS failed" in r.stderr and "--ca-file" in r.stderr, "untrusted: exit 1, a TLS failure naming --ca-file",
          f"rc {r.returncode}: {r.stderr[-400:]}")
    r = subprocess.run(plain, capture_output=True, text=True, timeout=300, env={**env, "SSL_CERT_FILE": os.path.join(TLS, "ca.pem")})
    check(r.returncode == 0 and sum(e["event"] == "verdict" for e in events_of(r.stdout)) == 3, "$SSL_CERT_FILE names the CA: all 3 judged",
          f"rc {r.returncode}: {r.stderr[-400:]}")
    bad = os.path.join(TLS, "not-a-cert.pem")
    open(bad, "w").write("hello\n")
    r = subprocess.run(plain + ["--ca-file", bad], capture_output=True, text=True, timeout=60, env=env)
    check(r.returncode == 1 and f"--ca-file {bad}: no PEM certificate" in r.stderr, "--ca-file that is no certificate: refused, named",
          r.stderr[-300:])


def main():
    with tempfile.TemporaryDirectory() as tmp:
        topics = ["protein folding", "cells", "folding chaperones", "membrane proteins", "cell division"]
        with open(os.path.join(tmp, "corpus.jsonl"), "w") as f:
            for i in range(K):
                text = f"Study {i} of {topics[i % 5]} in cells: protein structure, folding rates and stability at {20 + i} degrees."
                f.write(json.dumps({"_id": f"d{i}", "title": f"Paper {i}", "text": text}) + "\n")
        index = os.path.join(tmp, "idx")
        subprocess.run([binary, "index", os.path.join(tmp, "corpus.jsonl"), "--out", index, "--quiet"], check=True)
        log = open(os.path.join(tmp, "servers.log"), "w")
        pa, pb = free_port(), free_port()
        a, b = f"{SCHEME}://127.0.0.1:{pa}/v1", f"{SCHEME}://127.0.0.1:{pb}/v1"
        sa, sb = server(pa, log), server(pb, log)
        procs = [sa, sb]
        try:
            # One server alone: the reference judgments.
            one = subprocess.run(rerank_args(index, a), capture_output=True, text=True, timeout=900)
            alone = {e["id"]: e for e in events_of(one.stdout) if e["event"] == "verdict"}
            check(one.returncode == 0 and len(alone) == K, f"one server judges all {K} candidates", one.stderr[-400:])

            # A monitor asks the server's /v1/models while a chain streams (at the first token of three passages):
            # llama-cpp-python then ends the running stream with [DONE] and no finish_reason.
            poked, pokes = set(), []

            def poke(e, _):
                if e["event"] == "token" and len(poked) < 3 and e["passage"] not in poked:
                    poked.add(e["passage"])
                    t = threading.Thread(target=lambda: urllib.request.urlopen(f"{a}/models", timeout=60).read(), daemon=True)
                    t.start()
                    pokes.append(t)
            rc, events, err = watched(rerank_args(index, a, k=8), poke)
            for t in pokes:
                t.join(timeout=60)
            got = {e["id"]: e for e in events if e["event"] == "verdict"}
            cut = [e for e in events if e["event"] == "restarted" and "without a finish_reason" in e["reason"]]
            ids = {e["passage"]: e["id"] for e in events if e["event"] == "started"}
            was_cut = {ids.get(e["passage"]) for e in cut}
            # A passage never cut is judged exactly as without the monitor. A cut one is judged again whole (closed by the
            # model or at the budget, never ended where the cut left it); llama-cpp-python then finds its whole prompt in
            # its cache and evaluates the prompt's last token on its own, whose sums can differ from the prompt's
            # evaluation in one piece, so its chain may part from the undisturbed one at a near tie (counted, not asserted).
            whole = [v for i, v in got.items()
                     if i in was_cut and (alone[i]["reasoning"] == v["reasoning"] or not v["forced_close"] or v["tokens"] == 24)]
            check(rc == 0 and len(got) == 8 and cut and len(whole) == len(was_cut)
                  and all(alone[i]["reasoning"] == v["reasoning"] and abs(alone[i]["score"] - v["score"]) < 1e-4
                          for i, v in got.items() if i not in was_cut),
                  f"streams cut by a monitor's GET /v1/models are judged again whole: {len(cut)} cut, every other verdict as without the "
                  f"monitor ({sum(alone[i]['reasoning'] == got[i]['reasoning'] for i in was_cut if i in got)} of the cut ones too)",
                  err[-400:] + str([(i, i in was_cut, v["forced_close"], v["tokens"], v["reasoning"][:40]) for i, v in got.items()
                                    if alone[i]["reasoning"] != v["reasoning"]]) + f" cut: {sorted(map(str, was_cut))}, whole: {len(whole)}, rc {rc}, {len(got)} verdicts")

            for how in ("SIGKILL", "SIGTERM"):
                stop_and_restart(how, index, a, b, pb, procs, log, alone)

            print("a fleet with an endpoint dead from the start")
            dead = f"{SCHEME}://127.0.0.1:{free_port()}/v1"
            t0 = time.time()
            r = subprocess.run(rerank_args(index, dead, a, k=8), capture_output=True, text=True, timeout=900)
            events = events_of(r.stdout)
            verdicts = {e["id"] for e in events if e["event"] == "verdict"}
            fin = next((e for e in events if e["event"] == "finished"), {})
            served = {s["endpoint"]: s for s in fin.get("endpoints", [])}
            check(r.returncode == 0 and len(verdicts) == 8, "exit 0, all 8 judged on the live endpoint", r.stderr[-400:])
            check(served.get(dead, {}).get("judged") == 0 and served.get(dead, {}).get("up") is False
                  and served.get(a, {}).get("judged") == 8, f"the dead one served nothing and is out at the end: {served}")
            print(f"       {time.time() - t0:.1f} s")

            print("a fleet with no live endpoint")
            dead2 = f"{SCHEME}://127.0.0.1:{free_port()}/v1"
            t0 = time.time()
            r = subprocess.run(rerank_args(index, dead, dead2), capture_output=True, text=True, timeout=120)
            check(r.returncode == 1 and "no endpoint can judge" in r.stderr and dead in r.stderr and dead2 in r.stderr,
                  "exit 1, naming each endpoint and why", f"rc {r.returncode}: {r.stderr[-400:]}")
            check(time.time() - t0 < 60, f"and quickly ({time.time() - t0:.1f} s)")
            if TLS:
                trust(index, a)
        finally:
            for s in procs:
                s.kill()
                s.wait()
            log.close()
    check.finish()


if __name__ == "__main__":
    main()
