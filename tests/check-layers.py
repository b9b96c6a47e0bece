#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The layers of the source tree, checked on every test run (issue 9).

  engine/common  includes only its own headers; nothing but fatal.c exits
  engine/store   the only code that includes sqlite3.h for writing
  engine/conf    engine/common and its own headers
  engine         engine/common, store, conf and its own; never exits
  forward        engine/common, the store's read-only connection
                 (store_forward.h) and its own; never includes sqlite3.h
  query          reads SQLite only (read-only files or :memory:), never
                 includes the engine or the store, and its binary carries
                 none of their symbols
  everywhere     a *-private.h is included only from its own folder

Usage: check-layers.py [KICS-QUERY-BINARY]. The tree is KICS_SOURCE_ROOT,
else the parent of this file's folder. Prints one line per violation and
exits 1, or says that every layer keeps to its own.
"""
import os
import re
import subprocess
import sys

ROOT = os.environ.get("KICS_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))

# folder -> the other folders whose headers its files may include
LAYERS = {
    "engine/common": [],
    "engine/store": ["engine/common"],
    "engine/conf": ["engine/common"],
    "engine": ["engine/common", "engine/store", "engine/conf"],
    "forward": ["engine/common", "engine/store"],
    "query": ["engine/common", "engine/conf"],
}

INCLUDE = re.compile(r'^#\s*include\s*"([^"]+)"', re.M)
SQLITE = re.compile(r'^#\s*include\s*<sqlite3\.h>', re.M)
EXIT = re.compile(r'(^|[^_A-Za-z0-9])(exit|_Exit|abort)\s*\(')
FATAL = re.compile(r'(^|[^_A-Za-z0-9])fatalx?\s*\(')
COMMENT = re.compile(r'/\*.*?\*/', re.S)

problems = []


def sources(folder, recursive=False):
    top = os.path.join(ROOT, folder)
    if not os.path.isdir(top):
        return
    for d, subdirs, files in os.walk(top):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(d, f), ROOT)
        if not recursive:
            break


def text(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8",
              errors="replace") as f:
        return f.read()


def code(rel):
    """The file without its comments, with line numbers kept."""
    return COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text(rel))


def lineno(s, pos):
    return s.count("\n", 0, pos) + 1


def check_includes():
    for folder, below in LAYERS.items():
        for rel in sources(folder):
            here = os.path.dirname(rel)
            for m in INCLUDE.finditer(code(rel)):
                h = m.group(1)
                ok = any(os.path.isfile(os.path.join(ROOT, d, h))
                         for d in [here] + below)
                if h.endswith(".pb-c.h") and os.path.isfile(os.path.join(
                        ROOT, "schema", h[:-len(".pb-c.h")] + ".proto")):
                    ok = True
                if not ok:
                    problems.append('%s includes "%s", which is not in its '
                                    'layer' % (rel, h))


def check_sqlite():
    for top in ("engine", "forward", "ingest", "query"):
        for rel in sources(top, recursive=True):
            if not SQLITE.search(code(rel)):
                continue
            if rel.startswith(("engine/store/", "query/")):
                continue
            problems.append("%s includes sqlite3.h: only engine/store/ may "
                            "write SQL" % rel)
    for rel in sources("query"):
        s = code(rel)
        for m in re.finditer(r'sqlite3_open\w*\s*\(([^;]*)', s):
            call = m.group(1)
            if "SQLITE_OPEN_READONLY" in call or '":memory:"' in call:
                continue
            problems.append("%s:%d: query opens a database for writing"
                            % (rel, lineno(s, m.start())))


def check_exits():
    for rel in list(sources("engine", recursive=True)) + list(
            sources("forward")):
        if rel == "engine/common/fatal.c" or not rel.endswith(".c"):
            continue
        s = code(rel)
        for m in EXIT.finditer(s):
            problems.append("%s:%d: ends the process: engine/ returns "
                            "errors (STYLE.md 3)" % (rel, lineno(s, m.start())))
        for m in FATAL.finditer(s):
            problems.append("%s:%d: calls fatal(): only main programs may"
                            % (rel, lineno(s, m.start())))


def check_private():
    for top in ("engine", "forward", "ingest", "query", "tests"):
        for rel in sources(top, recursive=True):
            here = os.path.dirname(rel)
            for m in INCLUDE.finditer(code(rel)):
                h = m.group(1)
                if h.endswith("-private.h") and not os.path.isfile(
                        os.path.join(ROOT, here, h)):
                    problems.append("%s includes %s of another folder"
                                    % (rel, h))


def check_binary(path):
    try:
        out = subprocess.run(["nm", path], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        problems.append("nm %s: %s" % (path, e))
        return
    found = re.findall(r' [TtDdBb] ((?:store|engine|forward)_\w+)', out)
    if found:
        problems.append("%s links store or engine code (%s): query never "
                        "writes" % (path, ", ".join(sorted(set(found))[:5])))


def main():
    check_includes()
    check_sqlite()
    check_exits()
    check_private()
    if len(sys.argv) > 1:
        check_binary(sys.argv[1])
    for p in problems:
        print("check-layers: " + p, file=sys.stderr)
    if problems:
        return 1
    print("check-layers: every layer keeps to its own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
