#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Smoke run of one libFuzzer target: every seed of CORPUS-DIR, then
# SECONDS of fuzzing from them. Fails on a crash, a leak, a timeout, a
# sanitizer report or a UBSan "runtime error" (which does not stop the
# process unless halt_on_error is set, so it is also looked for in the log).
# New inputs go to a scratch directory; the seed corpus is never changed.
#   smoke.sh TARGET CORPUS-DIR [SECONDS]
set -u
target=$1
corpus=$2
seconds=${3:-5}

work=$(mktemp -d "${TMPDIR:-/tmp}/kics-fuzz-smoke.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/new" || exit 1

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS UBSAN_OPTIONS

"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" \
    "$work/new" "$corpus" >"$work/log" 2>&1
rc=$?
if [ "$rc" != 0 ] || grep -q "runtime error:\|ERROR: .*Sanitizer" \
    "$work/log"; then
	cat "$work/log"
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* \
	    "$work"/oom-*; do
		[ -f "$f" ] || continue
		echo "smoke: input $(basename "$f") (base64):"
		base64 "$f"
	done
	echo "smoke: $(basename "$target") FAILED (exit $rc)"
	exit 1
fi
grep "stat::number_of_executed_runs\|INITED\|DONE" "$work/log"
echo "smoke: $(basename "$target") passed"
