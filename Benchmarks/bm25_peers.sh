#!/usr/bin/env bash
# Issue 2's speed and size numbers: our engine beside tantivy and Lucene in ONE run of ../shared/bench, per corpus.
#   bash Benchmarks/bm25_peers.sh scifact          # ../shared/corpora/scifact
#   bash Benchmarks/bm25_peers.sh syn-1m           # the 1M synthetic corpus (generated once by the harness)
# Two configurations of ours:
#   ext:rank1       --store none: ids + postings, what the Lucene and tantivy indexes here hold (like for like)
#   ext:rank1text   the default: also titles and texts (zlib blocks), which the explorer and reranker need
# Both serve with --threads 2 (the default on 2+ cores: a query with many postings is split over two halves).
#   ext:floor       Benchmarks/pipe_floor.c: answers with 100 canned lines, no search — the pipe's own cost
# Results: /tmp/rank1-bench/peers-<corpus>.json, and the harness's summary table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: bm25_peers.sh scifact|syn-1m [--repeat N]}
shift
bash ../shared/bench/setup.sh >/dev/null
P=/tmp/rank1-bench/venv/bin/python
# A copy of the binary, so that a rebuild during the run does not change what is measured.
B=/tmp/rank1-bench/rank1-under-test
cp .build/release/rank1 "$B"
if [ "$name" = syn-1m ]; then
  data=/tmp/rank1-bench/scale/syn-1m
  [ -s "$data/corpus.jsonl" ] || $P ../shared/bench/gen_synthetic.py --out /tmp/rank1-bench/scale --sizes 1000000
else
  data=../shared/corpora/$name
fi
floor=/tmp/rank1-bench/pipe-floor
${CC:-clang} -O2 -o "$floor" Benchmarks/pipe_floor.c
spec() {  # $1: extra index flags
  echo "index=$B index {corpus} --out {index} --quiet $1;search=$B search {index} --queries {queries} --k {k} --trec {run} --latencies {latencies};serve=$B serve {index} --k {k}"
}
$P ../shared/bench/bench_bm25.py "$data" --peers tantivy,lucene,ext:floor,ext:rank1,ext:rank1text \
  --ext "rank1=$(spec '--store none')" --ext "rank1text=$(spec '')" --ext "floor=index=true;search=true;serve=$floor" \
  --out "/tmp/rank1-bench/peers-$name.json" "$@"
$P ../shared/bench/summarize.py "/tmp/rank1-bench/peers-$name.json"
