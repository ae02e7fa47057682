#!/usr/bin/env python3
"""End to end: what a real chain drew on. The issue's own example ("convert video files to animated gif" on the
Debian corpus, the default model): `rank1 rerank --jsonl` gives each verdict its attribution, whose offsets index
the chain as streamed and the passage as the model saw it (title, a space, the text), each span the same words on
both sides as the index analyses them; then the explorer in tmux, stepping through a chain's sentences: the header
says what each rests on (the passage, the query only, nothing: unsupported), the unsupported sentence is drawn in
its colour, the passage's spans in theirs, and the current step's spans as the step."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from e2e import Checks, binary, root, run_in_tmux, screen_of, tmux  # noqa: E402

index = os.path.join(root, ".index", "debian")
QUERY = "convert video files to animated gif"
K = 5
FLAGS = ["--k", str(K), "--parallel", str(K), "--early-exit", "off", "--budget", "48", "--no-cache", "--threads", "2", "--probe", "on"]
session = f"rank1attr{os.getpid()}"
check = Checks("attribution")


def words(text):
    """Lower-cased words, for comparing the two sides of a span (the analyzer stems; a word's first three letters do)."""
    return [w[:3] for w in re.findall(r"\w+", text.lower())]


def jsonl():
    print("rank1 rerank --jsonl: attribution on real chains")
    out = subprocess.run([binary, "rerank", index, "--query", QUERY, "--jsonl", *FLAGS], capture_output=True, text=True, timeout=600)
    verdicts = [json.loads(l) for l in out.stdout.splitlines() if '"event":"verdict"' in l]
    check(out.returncode == 0 and len(verdicts) == K, f"{K} verdicts ({len(verdicts)}, exit {out.returncode})", out.stderr[-300:])
    check(all("attribution" in v and "grounded" in v for v in verdicts), "each verdict carries attribution and grounded")
    check(all(v["grounded"] is None or 0 <= v["grounded"] <= 1 for v in verdicts), "grounded is a share (or null)")
    spans = 0
    sources = set()
    for v in verdicts:
        doc = json.loads(subprocess.run([binary, "show", index, "--doc", v["id"], "--json"], capture_output=True, text=True,
                                        check=True).stdout)
        texts = {"passage": (doc["title"] + " " + doc["text"]) if doc["title"] else doc["text"], "query": QUERY}
        for span in v["attribution"]:
            source = next(k for k in span if k != "chain")
            sources.add(source)
            c0, c1 = span["chain"]
            s0, s1 = span[source]
            chain_words, source_words = words(v["reasoning"][c0:c1]), words(texts[source][s0:s1])
            ok = (len(chain_words) >= 2 and chain_words[0] == source_words[0] and chain_words[-1] == source_words[-1]
                  and re.match(r"\w", v["reasoning"][c0]) and re.match(r"\w", texts[source][s0]))
            check(ok, f"{v['id']}: chain [{c0}, {c1}] {v['reasoning'][c0:c1]!r} = {source} [{s0}, {s1}] {texts[source][s0:s1]!r}")
            spans += 1
    # Where the verdict turned: the largest move along direct → probes → verdict, as the reader would find it.
    for v in verdicts:
        points = [v["direct_score"]] + [p[1] for p in v.get("trajectory") or []] + [v["score"]]
        moves = [b - a for a, b in zip(points, points[1:])]
        turn = v.get("turn")
        if not v.get("trajectory"):
            check(turn is None, f"{v['id']}: no probes, no turning point")
            continue
        at = max(range(len(moves)), key=lambda i: abs(moves[i]))
        sentence = at + 1 if at < len(v["trajectory"]) else None
        check(turn and turn["sentence"] == sentence and abs(turn["to"] - turn["from"] - moves[at]) < 1e-9,
              f"{v['id']}: turned most {'after sentence ' + str(sentence) if sentence else 'after the last probe'} "
              f"({points[at]:.2f} → {points[at + 1]:.2f})", f"turn {turn}, points {points}")
    check(spans > 0 and "passage" in sources and "query" in sources,
          f"spans from the passage and from the query ({spans} spans, sources {sorted(sources)})")


def wait_for(pattern, timeout, what):
    return screen_of(session, pattern, timeout, what)


def cells():
    """The screen as rows of (character, foreground, background), from tmux's capture with escapes (SGR only)."""
    rows = []
    for line in tmux("capture-pane", "-t", session, "-p", "-e").split("\n"):
        row, fg, bg, i = [], None, None, 0
        while i < len(line):
            m = re.match(r"\x1b\[([\d;]*)m", line[i:])
            if m:
                codes = [int(c) if c else 0 for c in m.group(1).split(";")]
                j = 0
                while j < len(codes):
                    if codes[j] in (38, 48) and j + 2 < len(codes) and codes[j + 1] == 5:
                        if codes[j] == 38:
                            fg = codes[j + 2]
                        else:
                            bg = codes[j + 2]
                        j += 3
                        continue
                    if codes[j] == 0:
                        fg = bg = None
                    elif codes[j] == 39:
                        fg = None
                    elif codes[j] == 49:
                        bg = None
                    j += 1
                i += m.end()
                continue
            row.append((line[i], fg, bg))
            i += 1
        rows.append(row)
    return rows


def painted(rows, column_from, fg=None, bg=None):
    """The text drawn in foreground `fg` or on background `bg` right of `column_from` (the detail panes), runs joined
    by '|'."""
    runs = []
    for row in rows:
        run = "".join(c if (fg is not None and f == fg) or (bg is not None and b == bg) else "\0" for c, f, b in row[column_from:])
        runs += [r for r in run.split("\0") if r.strip()]
    return "|".join(runs)


def explorer():
    print("the explorer: spans, the unsupported mark, stepping")
    cmd = f"{binary} --index {index} {' '.join(FLAGS)}; sleep 60"
    tmux("new-session", "-d", "-s", session, "-x", "150", "-y", "36", cmd)
    wait_for(r"press / to type a query", 30, "the start screen")
    tmux("send-keys", "-t", session, "/")
    tmux("send-keys", "-t", session, "-l", QUERY)
    tmux("send-keys", "-t", session, "Enter")
    done = wait_for(rf"done {K}/{K}", 300, f"{K} verdicts")
    check(re.search(r"\d/\d grounded", done), "following, the reasoning pane's header counts the grounded sentences")
    column = done.splitlines()[1].index("Passage")  # where the detail panes begin
    seen, captures = {}, {}
    for row in range(K):
        # Row by row (the results pane, down one), then into the reasoning pane and through its sentences.
        if row:
            tmux("send-keys", "-t", session, "Tab", "Down")
        tmux("send-keys", "-t", session, "Tab", "Tab")
        for _ in range(12):
            tmux("send-keys", "-t", session, "Up")
        step = 1
        while True:
            s = wait_for(rf"step {step}/", 5, f"step {step} of row {row + 1}")
            header = next(l for l in s.splitlines() if "Reasoning" in l and "step" in l)
            note = re.search(r"step (\d+)/(\d+) · (?:turned here [\d.]+ → [\d.]+ · )?(from the passage|from the query only|unsupported)?",
                             header)
            kind = note.group(3) or "no claim"
            # The passage pane: below its header, above the reasoning pane's.
            passage_rows = slice(2, next(i for i, l in enumerate(s.splitlines()) if "Reasoning" in l and "step" in l))
            captures[(row, step)] = cells()
            seen.setdefault(kind, (row, step, captures[(row, step)], passage_rows))
            if int(note.group(1)) == int(note.group(2)):
                break
            step += 1
            tmux("send-keys", "-t", session, "Down")
    check({"from the passage", "from the query only", "unsupported"} <= set(seen),
          f"the chains' steps rest on the passage, on the query only, on nothing: {sorted(seen)}")
    if "unsupported" in seen:
        # From any other step, the unsupported sentence is drawn in its colour (174); at its own, as the step.
        row, step, _, _ = seen["unsupported"]
        others = [painted(r, column, fg=174) for (rw, st), r in captures.items() if rw == row and st != step]
        check(any(others), f"an unsupported sentence is drawn in the unsupported colour: {[o for o in others if o][:1]}")
    if "from the passage" in seen:
        _, _, rows, passage = seen["from the passage"]
        current = painted(rows[passage], column, bg=153)
        check(current, f"at a step that quotes the passage, its spans in the passage are drawn as the step: {current!r}")
    quoted = [painted(r[p], column, bg=22) for _, _, r, p in seen.values()]
    check(any(quoted), f"the passage's quoted spans are drawn in their colour: {[q for q in quoted if q][:2]}")
    tmux("send-keys", "-t", session, "q")


def main():
    jsonl()
    run_in_tmux(explorer, check, session)


if __name__ == "__main__":
    main()
