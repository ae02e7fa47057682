#!/usr/bin/env bash
# The default corpus: the long descriptions of all Debian 12 (bookworm) packages, one passage per package
# (id = package name, title = short description, text = long description).
#
# usage: Corpora/debian/build.sh OUT_DIR      → OUT_DIR/corpus.jsonl
#
# apt runs with a private config, lists and cache under OUT_DIR/apt, so the system's apt state is untouched.
# The mirror is the one the system already uses (its sources), or deb.debian.org.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)  # apt needs absolute paths
state=$out/apt
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/etc/preferences.d" "$state/etc/apt.conf.d" "$state/etc/sources.list.d"

# Every URI the system names (deb822 URIs: lines may list several; one-line "deb [options] URI suite …" entries),
# keeping only a Debian archive over http(s): not security, not a cdrom, not a third-party repository.
mirror=$( (grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | sed 's/^URIs://' | tr ' ' '\n';
           grep -hE '^deb\s' /etc/apt/sources.list 2>/dev/null | sed -E 's/\[[^]]*\]//' | awk '{print $2}') |
          grep -E '^https?://[^ ]+/debian/?$' | grep -v security | head -1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $mirror bookworm main" > "$state/etc/sources.list"

opts=(-o "Dir::Etc::SourceList=$state/etc/sources.list" -o "Dir::Etc::SourceParts=$state/etc/sources.list.d"
      -o "Dir::Etc::Parts=$state/etc/apt.conf.d" -o "Dir::Etc::PreferencesParts=$state/etc/preferences.d"
      -o "Dir::State=$state" -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
      -o "Acquire::Languages=en" -o "APT::Architectures=amd64" -o "APT::Architecture=amd64"
      -o "APT::Sandbox::User=root" -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false")
echo "corpus: apt-get update from $mirror (private state in $state)" >&2
apt-get "${opts[@]}" -qq update >&2

# apt may keep lists compressed (lz4, gz, …); apt-helper cat-file reads any of its formats.
packages=$(ls "$state"/lists/*bookworm_main_binary-amd64_Packages* 2>/dev/null | head -1 || true)
translations=$(ls "$state"/lists/*bookworm_main_i18n_Translation-en* 2>/dev/null | head -1 || true)
if [ -z "$packages" ] || [ -z "$translations" ]; then
  echo "corpus: apt did not fetch the Packages and Translation-en lists into $state/lists" >&2
  exit 1
fi
/usr/lib/apt/apt-helper cat-file "$packages" > "$out/Packages"
/usr/lib/apt/apt-helper cat-file "$translations" > "$out/Translation-en"
python3 "$here/debian_corpus.py" "$out/Packages" "$out/Translation-en" > "$out/corpus.jsonl.tmp"
rm -f "$out/Packages" "$out/Translation-en"
mv "$out/corpus.jsonl.tmp" "$out/corpus.jsonl"
echo "corpus: $(wc -l < "$out/corpus.jsonl") passages in $out/corpus.jsonl" >&2
