#!/usr/bin/env python3
"""End to end: the real rank1 binary in tmux on the Debian corpus with the embedded model. Types a query,
reranks, sees the provisional ranking of direct verdicts before any chain ends, waits for the verdicts, edits the
instruction (the old verdicts stay, marked stale, until replaced), checks that the ranking and the shown diff
changed, quits, and checks that the terminal was restored."""
import os
import re
import subprocess
import sys
import tempfile
import time
from shlex import quote as q  # the clone's path may hold spaces: the shell commands quote it

binary = os.environ["RANK1_BIN"]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
index = os.path.join(root, ".index", "debian")
session = f"rank1e2e{os.getpid()}"
tmp = tempfile.mkdtemp()
results = []


def tmux(*args, check=True):
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=check).stdout


def screen():
    return tmux("capture-pane", "-t", session, "-p")


def wait_for(pattern, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        s = screen()
        if re.search(pattern, s):
            return s
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; screen:\n{screen()}")


def check(ok, what):
    results.append(ok)
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")


def ranking(s):
    """(title, score) of result rows with a Rank1 score, in screen order."""
    rows = []
    for line in s.splitlines()[2:]:
        m = re.match(r"\s*(\d+)\s+(?:↑\d+|↓\d+|·)?\s*(0\.\d{3})", line)
        if m:
            rows.append((int(m.group(1)), m.group(2), line[:46]))
    return rows


def crashed(cmd_log):
    """A crash (SIGSEGV) restores the terminal and says where its message went (stderr goes to the log while
    curses owns the screen; written to the alternate screen it would vanish with it)."""
    cmd = (f"{q(binary)} --index {q(index)} --no-cache --log {cmd_log}; echo RANK1-EXITED $?; stty -a > {tmp}/stty2.txt; sleep 120")
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", cmd)
    wait_for(r"press / to type a query", 30, "the start screen (crash run)")
    # The rank1 process itself, not the shell that runs it (whose command line holds the same words).
    pid = subprocess.run(["pgrep", "-f", "--", f"^{re.escape(binary)} .*--log {re.escape(cmd_log)}"],
                         capture_output=True, text=True).stdout.split()
    check(len(pid) == 1, f"the explorer's process found ({pid})")
    subprocess.run(["kill", "-SEGV", *pid])
    done = wait_for(r"RANK1-EXITED", 15, "rank1 to die")
    check("RANK1-EXITED 139" in done and f"its last words are at the end of {cmd_log}" in done,
          "a crash exits 139 and says where its message is")
    time.sleep(0.5)
    stty = open(f"{tmp}/stty2.txt").read()
    check(re.search(r"(^|\s)icanon(\s|$)", stty) is not None and re.search(r"(^|\s)echo(\s|$)", stty) is not None,
          "after a crash the terminal is back in canonical mode with echo")


def main():
    cmd = (f"{q(binary)} --index {q(index)} --budget 16 --parallel 4 --k 5 --no-cache --threads 2 "
           f"--latency-trace {tmp}/latency.txt --log {tmp}/explorer.log; echo RANK1-EXITED $?; stty -a > {tmp}/stty.txt; sleep 120")
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", cmd)
    try:
        wait_for(r"press / to type a query", 30, "the start screen")
        tmux("send-keys", "-t", session, "/")
        tmux("send-keys", "-t", session, "-l", "terminal file manager")
        s = wait_for(r"File manager for terminals", 10, "BM25 results while typing")
        check("query › terminal file manager" in s, "the query bar shows the typed query")
        tmux("send-keys", "-t", session, "Enter")
        early = wait_for(r"≈0\.\d\d", 120, "a direct verdict (a provisional score)")
        check("judging 0/5" in early, "the list shows direct verdicts (≈) before the first chain ends")
        check("≈ direct verdict" in early, "the header says what ≈ means")
        first = wait_for(r"done 5/5", 240, "the first rerank to finish")
        r1 = ranking(first)
        check(len(r1) == 5, f"five passages got a Rank1 score ({len(r1)})")
        check("moves vs BM25" in first or "↑" in first or "↓" in first or "·" in first, "movement against BM25 is shown")
        tmux("send-keys", "-t", session, "i")
        wait_for(r"Instruction", 5, "the instruction editor")
        tmux("send-keys", "-t", session, "-l", "FILL_QUERY_HERE")
        tmux("send-keys", "-t", session, "Enter")
        tmux("send-keys", "-t", session, "-l", "A relevant passage must describe a program that manages files.")
        tmux("send-keys", "-t", session, "C-s")
        started = wait_for(r"judging", 30, "the second rerank to start")
        check(re.search(r"\(0\.\d\d\)", started) is not None and "previous instr." in started,
              "the previous instruction's verdicts stay on screen, marked stale")
        second = wait_for(r"done 5/5", 240, "the second rerank to finish")
        r2 = ranking(second)
        check(len(r2) == 5, "five passages judged under the new instruction")
        check([x[1] for x in r1] != [x[1] for x in r2], "the scores changed with the instruction")
        check("moves vs prev. instr." in second, "moves are now shown against the previous instruction")
        check("Kendall" in second, "Kendall's tau between the two rankings is shown")
        tmux("send-keys", "-t", session, "v")
        ab = wait_for(r"A: bare query", 5, "the A/B view")
        check("B: FILL_QUERY_HERE" in ab, "the A/B view shows both instructions")
        tmux("send-keys", "-t", session, "Escape")
        tmux("send-keys", "-t", session, "q")
        done = wait_for(r"RANK1-EXITED", 15, "rank1 to exit")
        check("RANK1-EXITED 0" in done, "rank1 exited with status 0")
        time.sleep(0.5)
        stty = open(f"{tmp}/stty.txt").read()
        check(re.search(r"(^|\s)icanon(\s|$)", stty) is not None and re.search(r"(^|\s)echo(\s|$)", stty) is not None,
              "the terminal is back in canonical mode with echo")
        check("Results" not in done.split("RANK1-EXITED")[-1], "nothing of the explorer is left on the screen after exit")
        print(open(f"{tmp}/latency.txt").read().strip())
        tmux("kill-session", "-t", session, check=False)
        crashed(cmd_log=f"{tmp}/crash.log")
    finally:
        tmux("kill-session", "-t", session, check=False)
    failed = results.count(False)
    print(f"explorer end-to-end: {len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(e)
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        print(f"explorer end-to-end: {results.count(True)} passed, {results.count(False) + 1} failed")
        sys.exit(1)
