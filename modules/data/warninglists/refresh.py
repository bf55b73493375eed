#!/usr/bin/env python3
"""Rebuild lists.jsonl.gz from a misp-warninglists tree.

Usage: refresh.py <dir holding lists/*/list.json> [output]

One line per list.json, in the order the directory listing returns them (the order
in which pymispwarninglists reports matches), compact JSON, gzip with a fixed
timestamp so that an unchanged tree gives identical bytes.
"""
import glob
import gzip
import json
import os
import sys

root = sys.argv[1]
output = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "lists.jsonl.gz")
files = glob.glob(os.path.join(root, "lists", "*", "list.json"))
if not files:
    sys.exit(f"no lists/*/list.json under {root}")
with open(output, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as out:
    for path in files:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        out.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        out.write(b"\n")
print(f"{len(files)} lists written to {output}")
