#!/usr/bin/env python3
"""Cross-check: rank1's Porter stemmer against nltk's implementation of Martin Porter's reference
(MARTIN_EXTENSIONS mode: the C version with its two departures, whose output is the published
vocabulary list), on every distinct lowercase word of the shared test collections."""
import json
import os
import re
import subprocess
import sys

from nltk.stem.porter import PorterStemmer

shared = os.environ["RANK1_SHARED"]
binary = os.environ["RANK1_BIN"]
STOP = set("a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with".split())

words = set()
for name in sorted(os.listdir(os.path.join(shared, "corpora"))):
    d = os.path.join(shared, "corpora", name)
    for f in ("corpus.jsonl", "queries.jsonl"):
        p = os.path.join(d, f)
        if not os.path.exists(p):
            continue
        with open(p, encoding="utf-8") as fh:
            for line in fh:
                o = json.loads(line)
                for field in ("title", "text"):
                    words.update(re.findall(r"[a-z]+", (o.get(field) or "").lower()))
words = sorted(w for w in words if w not in STOP)
ours = subprocess.run([binary, "analyze"], input="\n".join(words) + "\n", capture_output=True, text=True, check=True).stdout.split("\n")
ref = PorterStemmer(mode=PorterStemmer.MARTIN_EXTENSIONS)
bad = [(w, o, ref.stem(w, to_lowercase=False)) for w, o in zip(words, ours) if o != ref.stem(w, to_lowercase=False)]
print(f"porter vs nltk (Martin's reference): {len(words) - len(bad)} passed, {len(bad)} failed")
for w, o, r in bad[:20]:
    print(f"  {w}: rank1 {o!r}, reference {r!r}")
sys.exit(1 if bad or len(words) < 10000 else 0)
