#!/usr/bin/env python3
"""Joins a Debian Packages file with its Translation-en file into BEIR-layout JSONL on stdout:
{"_id": package, "title": short description, "text": long description}, one line per package name.

Packages lists carry the short description and its Description-md5; the long text lives in
Translation-en under the same md5. Paragraph breaks (" .") become blank lines."""
import json
import sys


def stanzas(path):
    fields, key = {}, None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if fields:
                    yield fields
                fields, key = {}, None
            elif line[0] in " \t" and key:
                fields[key] += "\n" + line
            else:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
    if fields:
        yield fields


def long_text(description):
    lines = description.split("\n")[1:]
    out = []
    for line in lines:
        line = line[1:] if line.startswith(" ") else line
        out.append("" if line.strip() == "." else line)
    return "\n".join(out).strip()


def main():
    packages_path, translations_path = sys.argv[1], sys.argv[2]
    by_md5 = {}
    for st in stanzas(translations_path):
        md5, desc = st.get("Description-md5"), st.get("Description-en")
        if md5 and desc is not None:
            by_md5[md5] = desc
    seen = set()
    rows = []
    for st in stanzas(packages_path):
        name = st.get("Package")
        if not name or name in seen:
            continue
        seen.add(name)
        desc = by_md5.get(st.get("Description-md5", ""))
        short = (desc or st.get("Description", "")).split("\n")[0].strip()
        rows.append({"_id": name, "title": short, "text": long_text(desc) if desc else ""})
    missing = sum(1 for r in rows if not r["text"])
    for r in sorted(rows, key=lambda r: r["_id"]):
        sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"corpus: {len(rows)} packages, {missing} without a long description (kept, findable by id)", file=sys.stderr)


if __name__ == "__main__":
    main()
