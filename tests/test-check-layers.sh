#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# check-layers.py on the real tree passes, and on copies of it with one
# planted violation each it fails naming the file (so the check can bite).
# Usage: test-check-layers.sh KICS-QUERY-BINARY
set -u
src=${KICS_SOURCE_ROOT:?}
check=$src/tests/check-layers.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

"$check" "$1" || { echo "FAIL: the tree itself breaks a layer"; fails=1; }

plant() {	# NAME FILE LINE-TO-APPEND EXPECTED-WORDS
	rm -rf "$tmp/t"
	mkdir -p "$tmp/t"
	(cd "$src" && tar cf - engine ingest query schema tests/*.c tests/*.h \
	    tests/check-layers.py) |
	    (cd "$tmp/t" && tar xf -)
	printf '%s\n' "$3" >>"$tmp/t/$2"
	if out=$(KICS_SOURCE_ROOT=$tmp/t "$check" 2>&1); then
		echo "FAIL: $1: the check passed"
		fails=1
	elif ! printf '%s' "$out" | grep -q "$4"; then
		echo "FAIL: $1: the message does not say '$4': $out"
		fails=1
	else
		echo "ok: $1 refused: $(printf '%s' "$out" | head -1)"
	fi
}

plant "ingest writes SQL" ingest/http.c '#include <sqlite3.h>' \
    'ingest/http.c includes sqlite3.h'
plant "engine exits" engine/host.c 'static void f(void) { exit(1); }' \
    'engine/host.c:[0-9]*: ends the process'
plant "common calls upward" engine/common/strbuf.c '#include "engine.h"' \
    'engine/common/strbuf.c includes "engine.h"'
plant "store calls upward" engine/store/store.c '#include "rules.h"' \
    'engine/store/store.c includes "rules.h"'
plant "query includes the store" query/db.c '#include "store.h"' \
    'query/db.c includes "store.h"'
plant "query opens for writing" query/db.c \
    'int g(void) { return sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE, 0); }' \
    'query opens a database for writing'
plant "private header crosses" ingest/http.c '#include "store-private.h"' \
    'includes store-private.h of another folder'

[ "$fails" = 0 ] && echo "check-layers refuses every planted violation"
exit "$fails"
