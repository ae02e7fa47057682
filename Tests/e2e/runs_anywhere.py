#!/usr/bin/env python3
"""Runs from anywhere, installs like a tool (issue 16): scripts/install.sh into a fresh prefix; from an empty folder
elsewhere the installed rank1 says its version, its llama.cpp build and the runtime it found under the prefix, and
judges a query on the default index; the user's config file (XDG) sets the model and preset, flags override it, and
a typo in it stops the command naming the file and the key; <clone>/scripts/run.sh started from an empty folder
opens the explorer on the default corpus."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, root, run_in_tmux, tmux  # noqa: E402
from shlex import quote as q  # the clone's path may hold spaces: the shell commands quote it

check = Checks("runs anywhere")
tmp = tempfile.mkdtemp()
prefix, empty, xdg = f"{tmp}/prefix", f"{tmp}/empty", f"{tmp}/xdg"
os.makedirs(empty)
os.makedirs(f"{xdg}/rank1")
env = {**os.environ, "HOME": f"{tmp}/home", "XDG_CONFIG_HOME": xdg, "XDG_CACHE_HOME": f"{tmp}/cache"}
for k in ("RANK1_HOME", "RANK1_INDEX", "RANK1_MODEL", "RANK1_LLAMA_LIB"):
    env.pop(k, None)
session = f"rank1anywhere{os.getpid()}"
QUERY = "terminal file manager"


def rank1(*args):
    return subprocess.run([f"{prefix}/bin/rank1", *args], cwd=empty, env=env, capture_output=True, text=True, timeout=600)


def main():
    inst = subprocess.run(["bash", f"{root}/scripts/install.sh", "--prefix", prefix], cwd=empty, env=env, capture_output=True,
                          text=True, timeout=1800)
    check(inst.returncode == 0 and os.path.islink(f"{prefix}/bin/rank1"), "scripts/install.sh --prefix installs bin/rank1", inst.stderr[-1500:])
    v = rank1("--version")
    share = f"{prefix}/share/rank1"
    check(v.returncode == 0 and v.stdout.startswith("rank1 ") and f"runtime: {share} (found from the executable's location)" in v.stdout,
          "--version: the runtime found under the prefix from the executable", v.stdout + v.stderr)
    check("llama.cpp: ggml " in v.stdout and "built by llama-cpp-python 0.3.36" in v.stdout and f"{share}/.runtime/" in v.stdout,
          "--version: the llama.cpp build and the libllama it loads", v.stdout)
    check(f"config: {xdg}/rank1/config.json (none)" in v.stdout, "--version: the config file's place ($XDG_CONFIG_HOME)", v.stdout)

    r = rank1("rerank", "--query", QUERY, "--k", "2", "--budget", "8", "--model", "smollm2-q8", "--jsonl", "--no-cache")
    verdicts = [e for e in map(json.loads, (l for l in r.stdout.splitlines() if l.startswith("{"))) if e.get("event") == "verdict"]
    check(r.returncode == 0 and len(verdicts) == 2, "the installed rank1 judges a query on the default index, from an empty folder",
          r.stderr[-800:])

    json.dump({"model": "smollm2-q8", "preset": "strict"}, open(f"{xdg}/rank1/config.json", "w"))
    r = rank1("rerank", "--query", QUERY, "--k", "1", "--budget", "4", "--no-cache")
    check(r.returncode == 0 and "smollm2-135m-instruct-q8_0.gguf" in r.stdout and "directly answer the question" in r.stdout,
          "the config's model and preset are used", r.stdout[:600] + r.stderr[-400:])
    r = rank1("rerank", "--query", QUERY, "--k", "1", "--budget", "4", "--no-cache", "--model", "smollm2", "--instruction",
              "FILL_QUERY_HERE (flags win)")
    check(r.returncode == 0 and "SmolLM2-135M-Instruct.Q4_1.gguf" in r.stdout and "flags win" in r.stdout, "flags override the config", r.stdout[:600] + r.stderr[-400:])
    json.dump({"modle": "smollm2"}, open(f"{xdg}/rank1/config.json", "w"))
    r = rank1("rerank", "--query", QUERY, "--k", "1")
    check(r.returncode == 1 and f"{xdg}/rank1/config.json" in r.stderr and 'unknown key "modle"' in r.stderr,
          "a typo in the config stops the command, naming the file and the key", r.stderr)
    os.remove(f"{xdg}/rank1/config.json")

    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", "-c", empty,
         f"env -u RANK1_HOME -u RANK1_INDEX bash {q(root)}/scripts/run.sh --no-model; echo RANK1-EXITED $?; sleep 60")
    end, screen = time.time() + 300, ""
    while time.time() < end and "press / to type a query" not in screen:
        time.sleep(0.5)
        screen = tmux("capture-pane", "-t", session, "-p")
    check("press / to type a query" in screen and "debian" in screen, "scripts/run.sh from an empty folder opens the explorer on the default corpus",
          screen)
    tmux("send-keys", "-t", session, "q")
    end = time.time() + 20
    while time.time() < end and "RANK1-EXITED" not in screen:
        time.sleep(0.3)
        screen = tmux("capture-pane", "-t", session, "-p")
    check("RANK1-EXITED 0" in screen, "and quits with 0", screen)


run_in_tmux(main, check, session)
