#!/usr/bin/env python3
"""`rank1 bench client` (issue 14): a short run against rank1-synthetic-server at two stream counts must deliver
every token of every chain (tokens per run = chains x tokens per chain, no failure) and print one row per level
with finite, positive costs. The figures themselves are a benchmark, in README, not asserted here."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary  # noqa: E402

check = Checks("bench client")
TOKENS, TOTAL = 48, 3000
run = subprocess.run([binary, "bench", "client", "--streams", "4,96", "--tokens", str(TOKENS), "--total", str(TOTAL),
                      "--rate", "0", "--repeat", "1"], capture_output=True, text=True, timeout=300)
check(run.returncode == 0, "exit 0", run.stderr[-800:])
rows = [l.split("|") for l in run.stdout.splitlines() if l.strip()[:1].isdigit()]
check(len(rows) == 2, "one row per level", run.stdout)
for row, streams in zip(rows, (4, 96)):
    cells = [c.strip() for c in row]
    chains = max(streams, -(-TOTAL // TOKENS))
    check(cells[0] == str(streams), f"row for {streams} streams", str(cells))
    check(cells[1] == str(chains * TOKENS), f"{streams} streams: every token of every chain arrived",
          f"{cells[1]} != {chains * TOKENS}")
    check(cells[7] == "0", f"{streams} streams: no failed chain", str(cells))
    check(float(cells[4]) > 0 and float(cells[5]) > 0 and float(cells[6]) > 0, f"{streams} streams: costs measured", str(cells))
bad = subprocess.run([binary, "bench", "client", "--streams", "2000"], capture_output=True, text=True, timeout=60)
check(bad.returncode != 0 and "1,024" in bad.stderr, "more than 1,024 streams refused with the range", bad.stderr)
check.finish()
