#!/usr/bin/env python3
"""Compares two folders of JSON reports written by scripts/report-corpus.sh (before and after a
change). A report may only grow: every field of the old report must be in the new one with the same
value (findings in the same order, the same count), new fields are allowed and listed. The snapshot
path in `source` is ignored (it names the checkout). Exit codes and stderr must match too.

With --codes, a finding's `code` may change (the sub-codes of issue 9 turned `os-scheduling` into
`os-scheduling/untolerated-taint`): those changes are counted and listed per old -> new code, and
every other difference still fails.

usage: scripts/compare-reports.py [--codes] BEFORE_DIR AFTER_DIR
"""
import collections
import re
import json
import pathlib
import sys


def grown(old, new, path, added, problems):
    if isinstance(old, dict):
        if not isinstance(new, dict):
            problems.append(f"{path}: was an object, now {type(new).__name__}")
            return
        for k, v in old.items():
            if k not in new:
                problems.append(f"{path}.{k}: removed")
            else:
                grown(v, new[k], f"{path}.{k}", added, problems)
        for k in new:
            if k not in old:
                added.add(f"{strip_index(path)}.{k}")
    elif isinstance(old, list):
        if not isinstance(new, list) or len(old) != len(new):
            problems.append(f"{path}: list of {len(old)} is now {len(new) if isinstance(new, list) else type(new).__name__}")
            return
        for i, (a, b) in enumerate(zip(old, new)):
            grown(a, b, f"{path}[{i}]", added, problems)
    elif old != new:
        problems.append(f"{path}: {old!r} -> {new!r}")


def strip_index(path):
    out, depth = [], 0
    for c in path:
        if c == "[":
            depth += 1
            out.append("[]")
        elif c == "]":
            depth -= 1
        elif depth == 0:
            out.append(c)
    return "".join(out)


CODE_PATH = re.compile(r"^\$\.findings\[\d+\]\.code: ")


def main():
    args = sys.argv[1:]
    allow_codes = "--codes" in args
    args = [a for a in args if a != "--codes"]
    before, after = map(pathlib.Path, args[:2])
    failed = False
    all_codes = collections.Counter()
    for old_file in sorted(before.glob("*.json")):
        new_file = after / old_file.name
        if not new_file.exists():
            print(f"{old_file.name}: missing after")
            failed = True
            continue
        old, new = json.loads(old_file.read_text()), json.loads(new_file.read_text())
        for r in (old, new):
            r.get("source", {}).pop("path", None)
        added, problems = set(), []
        grown(old, new, "$", added, problems)
        for ext in ("exit", "stderr"):
            a, b = old_file.with_suffix("." + ext), new_file.with_suffix("." + ext)
            if a.exists() and b.exists() and a.read_text() != b.read_text():
                problems.append(f"{ext} differs: {a.read_text()[:200]!r} -> {b.read_text()[:200]!r}")
        codes = collections.Counter()
        if allow_codes:
            kept = []
            for p in problems:
                if CODE_PATH.match(p):
                    codes[p.split(": ", 1)[1]] += 1
                else:
                    kept.append(p)
            problems = kept
            all_codes.update(codes)
        status = "same" if not problems else f"{len(problems)} differences"
        if codes:
            status += f" apart from {sum(codes.values())} code changes"
        print(f"{old_file.name}: {status}; {len(old.get('findings', []))} findings; added fields: {', '.join(sorted(added)) or 'none'}")
        for p in problems[:20]:
            print(f"  {p}")
        failed |= bool(problems)
    if all_codes:
        print("code changes (old -> new: findings):")
        for change, n in sorted(all_codes.items()):
            print(f"  {change}: {n}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
