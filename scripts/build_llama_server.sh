#!/usr/bin/env bash
# Builds llama.cpp's own `llama-server` from the llama.cpp tree vendored in the llama-cpp-python 0.3.36 sdist
# (the same commit as the libllama the project loads) and caches the binary outside the clone, keyed by version:
#   ${RANK1_CACHE:-$HOME/.cache/rank1}/llama-server-0.3.36/llama-server
# Idempotent: when the cached binary runs, its path is printed at once. Otherwise the build takes 9-17
# minutes on 2 cores and needs the network only for the sdist (and, when missing, cmake/ninja).
# Progress goes to stderr; the binary's path is the only thing printed on stdout.
set -euo pipefail

version=0.3.36
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/../.runtime/venv"
cache="${RANK1_CACHE:-$HOME/.cache/rank1}/llama-server-$version"
bin="$cache/llama-server"

say() { printf 'build_llama_server: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# Fast path: a cached binary that starts is all we need.
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache" || die "cannot create the cache folder $cache"
# One build at a time: a second caller waits, then finds the finished binary.
exec 9>"$cache/.lock"
if command -v flock >/dev/null; then
  flock 9 || die "cannot lock $cache/.lock"
  if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
    echo "$bin"
    exit 0
  fi
fi

pip="$venv/bin/pip"
[ -x "$pip" ] || die "no pip at $pip: run scripts/setup.sh first (it creates the project venv)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rank1-llama-server.XXXXXX") || die "mktemp failed"
cleanup() { rm -rf "$tmp"; rm -f "$bin.tmp.$$"; }
trap cleanup EXIT

# Build tools: Debian's cmake and ninja-build; a pip-installed pair in a scratch venv when apt cannot help.
if ! command -v cmake >/dev/null || ! command -v ninja >/dev/null; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  apt_install() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq cmake ninja-build >/dev/null 2>&1; }
  say "installing cmake and ninja-build with apt-get"
  if ! apt_install; then
    say "apt-get install failed; running apt-get update and retrying"
    { $SUDO apt-get update -qq >/dev/null 2>&1 && apt_install; } || say "apt-get could not install them"
  fi
  if ! command -v cmake >/dev/null || ! command -v ninja >/dev/null; then
    say "falling back to pip-installed cmake and ninja in a scratch venv"
    "$venv/bin/python" -m venv "$tmp/tools" || die "cannot create a scratch venv for cmake/ninja"
    "$tmp/tools/bin/pip" install -q cmake ninja || die "pip could not install cmake and ninja"
    PATH="$tmp/tools/bin:$PATH"
  fi
fi
command -v cmake >/dev/null || die "cmake is still missing"
command -v ninja >/dev/null || die "ninja is still missing"

# The sdist, not a wheel: --no-binary for this package only (":all:" would compile cmake from source too).
say "downloading the llama-cpp-python $version sdist"
"$pip" download -q "llama-cpp-python==$version" --no-deps --no-binary llama-cpp-python -d "$tmp/dl" >&2 \
  || die "pip download of llama-cpp-python==$version failed"
sdist=$(ls "$tmp"/dl/llama_cpp_python-"$version".tar.gz "$tmp"/dl/llama-cpp-python-"$version".tar.gz 2>/dev/null | head -n1 || true)
[ -n "$sdist" ] || die "the download did not produce an sdist (.tar.gz) in $tmp/dl"
tar -xzf "$sdist" -C "$tmp" || die "cannot unpack $sdist"
src=$(ls -d "$tmp"/*/vendor/llama.cpp 2>/dev/null | head -n1 || true)
[ -n "$src" ] && [ -f "$src/CMakeLists.txt" ] || die "no vendor/llama.cpp in the sdist"

# Static (BUILD_SHARED_LIBS=OFF) so the cached binary needs no libllama/libggml beside it. No curl/openssl:
# the server only ever loads local files here. LLAMA_OPENSSL exists only in newer trees, so pass it only then.
flags=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF
       -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON)
if grep -rqs --include=CMakeLists.txt 'LLAMA_OPENSSL' "$src"; then flags+=(-DLLAMA_OPENSSL=OFF); fi
say "configuring $src"
cmake -S "$src" -B "$tmp/build" "${flags[@]}" >"$tmp/configure.log" 2>&1 \
  || { tail -n 40 "$tmp/configure.log" >&2; die "cmake configure failed"; }
say "compiling llama-server with $(nproc) jobs (9-17 minutes on 2 cores)"
cmake --build "$tmp/build" --target llama-server -j "$(nproc)" >"$tmp/build.log" 2>&1 \
  || { tail -n 60 "$tmp/build.log" >&2; die "the llama-server build failed"; }
built="$tmp/build/bin/llama-server"
[ -x "$built" ] || built=$(find "$tmp/build" -type f -name llama-server -perm -u+x | head -n1)
[ -n "$built" ] && [ -x "$built" ] || die "the build finished but no llama-server binary was found"
"$built" --version >/dev/null 2>&1 || die "the freshly built llama-server does not run (--version failed)"

# Temp name + mv in the same folder: readers never see a half-written binary.
cp "$built" "$bin.tmp.$$" && chmod 755 "$bin.tmp.$$" && mv -f "$bin.tmp.$$" "$bin" \
  || die "cannot install the binary into $cache"
say "cached $("$bin" --version 2>&1 | grep -m1 -i version || true)"
echo "$bin"
