#!/usr/bin/env python3
"""Responsiveness benchmark of the explorer (a benchmark, not a test): the real binary in tmux on the
Debian corpus; keystroke-to-screen-update latency measured inside the app (--latency-trace) while 8
passages stream, with pastes of 2,000 characters into the instruction editor and terminal resizes mixed
into the keys; as-you-type BM25 latency; the process's memory before and after.

  python3 Benchmarks/explorer_latency.py [--binary .build/release/rank1] [--keys 300]"""
import argparse
import os
import subprocess
import tempfile
import time

ap = argparse.ArgumentParser()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap.add_argument("--binary", default=os.path.join(root, ".build", "release", "rank1"))
ap.add_argument("--keys", type=int, default=300)
args = ap.parse_args()
tmp = tempfile.mkdtemp()
session = f"rank1lat{os.getpid()}"


def tmux(*a):
    return subprocess.run(["tmux", *a], capture_output=True, text=True).stdout


def wait(pattern, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pattern in tmux("capture-pane", "-t", session, "-p"):
            return True
        time.sleep(0.2)
    return False


tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40",
     f"{args.binary} --index {root}/.index/debian --parallel 8 --budget 256 --k 16 --no-cache --threads 2 --model smollm2 --profile rank1 "
     f"--latency-trace {tmp}/lat.txt --log {tmp}/log.txt")
wait("press / to type", 30)
# As-you-type BM25: one character at a time.
tmux("send-keys", "-t", session, "/")
for ch in "lightweight terminal file manager with vi key bindings":
    tmux("send-keys", "-t", session, "-l", ch)
    time.sleep(0.05)
tmux("send-keys", "-t", session, "Enter")
wait("judging", 30)
wait("tok/s", 30)
time.sleep(3)  # 8 chains streaming
pid = tmux("display", "-p", "-t", session, "#{pane_pid}").strip()


def memory():
    fields = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status").read().splitlines() if ":" in l)
    return fields["VmRSS"].strip(), fields["VmHWM"].strip()


before = memory()
tmux("set-buffer", "-b", "lat", ("a relevant passage must describe a program " * 50)[:2000])
pastes = resizes = 0
for i in range(args.keys):
    tmux("send-keys", "-t", session, "j" if (i // 8) % 2 == 0 else "k")
    if i % 40 == 20:  # a paste into the instruction editor, then leave it
        tmux("send-keys", "-t", session, "i")
        tmux("paste-buffer", "-p", "-b", "lat", "-t", session)
        tmux("send-keys", "-t", session, "Escape")
        pastes += 1
    if i % 40 == 0:
        tmux("resize-window", "-t", session, "-x", "110" if resizes % 2 == 0 else "120", "-y", "36" if resizes % 2 == 0 else "40")
        resizes += 1
    time.sleep(0.03)
after = memory()
screen = tmux("capture-pane", "-t", session, "-p")
tmux("send-keys", "-t", session, "q")
time.sleep(1.5)
tmux("kill-session", "-t", session)
print("status while measuring:", [l for l in screen.splitlines() if "judging" in l or "done" in l][-1:])
print(f"{args.keys} keys, {pastes} pastes of 2,000 characters, {resizes} resizes; memory (RSS, peak) before {before}, after {after}")
print(open(f"{tmp}/lat.txt").read().strip())
