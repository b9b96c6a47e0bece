#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds with -Werror and runs every test; then
# builds again with AddressSanitizer + UBSan and runs every test there;
# then builds the libFuzzer targets with clang and smoke-runs each one
# (tests/fuzz/, docs/fuzzing.md).
# Prints "N passed, N failed" as its last line; exits non-zero on failure.
set -u
cd "$(dirname "$0")/.."

./scripts/install-deps.sh || exit 1

run_build() {	# DIR MESON-OPTIONS...
	dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" -Dwerror=true "$@" >"$dir.setup.log" 2>&1 ||
		    { cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" || return 1
	meson test -C "$dir" --print-errorlogs --num-processes 2
}

count() {	# DIR RESULT → how many tests of DIR ended with RESULT
	python3 - "$1/meson-logs/testlog.json" "$2" <<'PY'
import json, sys
n = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            if json.loads(line).get("result") in sys.argv[2].split(","):
                n += 1
except FileNotFoundError:
    pass
print(n)
PY
}

# The fuzz targets, with clang, libFuzzer, ASan and UBSan: only they are
# built (the alias target "fuzz") and only their smoke runs (the suite
# "fuzz", a few seconds each) are run; every test above already ran.
# fuzzer-no-link instruments the libraries for coverage.
run_fuzz() {	# DIR
	dir=$1
	cflags="-fsanitize=fuzzer-no-link"
	if [ ! -f "$dir/build.ninja" ]; then
		CC=clang-14 meson setup "$dir" -Dwerror=true -Dfuzz=enabled \
		    -Db_sanitize=address,undefined -Db_lundef=false \
		    -Dc_args="$cflags" >"$dir.setup.log" 2>&1 ||
		    { cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" fuzz || return 1
	meson test -C "$dir" --no-rebuild --suite fuzz --print-errorlogs \
	    --num-processes 2
}

status=0
run_build build-ci || status=1
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_build build-ci-asan -Db_sanitize=address,undefined -Db_lundef=false ||
    status=1
run_fuzz build-ci-fuzz || status=1

passed=$(( $(count build-ci OK) + $(count build-ci-asan OK) + \
    $(count build-ci-fuzz OK) ))
failed=$(( $(count build-ci FAIL,TIMEOUT,ERROR) + \
    $(count build-ci-asan FAIL,TIMEOUT,ERROR) + \
    $(count build-ci-fuzz FAIL,TIMEOUT,ERROR) ))
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
	failed=1	# the build itself failed
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
