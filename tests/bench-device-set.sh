#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark of kics-query device set --subnet (issue 12) over a database of
# N devices (default 100,000) made through the engine: the whole command
# (process start, control socket, the daemon's transaction with one event
# per changed device, the answer), against the sqlite3 CLI running the
# equivalent UPDATE on a copy of the same database in the same run, and
# the UPDATE plus one events row per device (what the daemon also writes,
# without its full-text rows). Median of RUNS runs, the status switched
# between authorized and unauthorized each run so that every run changes
# every matched device.
# usage: bench-device-set.sh KICS_EPP_PROXY KICS_QUERY BENCH_GEN [N]
# Needs sqlite3 and python3.
set -eu

DAEMON=$1
QUERY=$2
GEN=$3
N=${4:-100000}
RUNS=3

. "$(dirname "$0")/lib.sh"
READY_TIMEOUT_S=${READY_TIMEOUT_S:-30}
test_dir bench-device-set

now() {
	date +%s.%N
}

# median of the numbers on stdin, 3 decimals
median() {
	sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'
}

# timed CMD...: wall seconds of one run, output to $TMP/out
timed() {
	t0=$(now)
	"$@" >"$TMP/out" 2>&1 || FAIL_FILES=$TMP/out fail "$*"
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

# ratio A B: A / B with one decimal
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'
}

mkdir -m 0755 "$DATA"
t0=$(now)
"$GEN" "$DB" "$N"
echo "generated $N devices in $(awk -v a="$t0" -v b="$(now)" \
    'BEGIN { printf "%.1f", b - a }') s"
cp "$DB" "$TMP/base.db"

daemon_conf "$(free_port)" bench <<EOC
limits:
  max_events: 100000000
EOC
start_daemon

# bench NAME CIDR LOW HIGH: LOW..HIGH is the text range of the network's
# canonical IPv4 addresses that the sqlite3 UPDATE uses (its index)
bench() {
	name=$1 cidr=$2 low=$3 high=$4
	: >"$TMP/kq" && : >"$TMP/up" && : >"$TMP/upev"
	for r in $(seq 1 $RUNS); do
		if [ $((r % 2)) = 1 ]; then st=authorized; else st=unauthorized; fi
		timed "$QUERY" --data-dir "$DATA" --format json device set \
		    --subnet "$cidr" --status "$st" >>"$TMP/kq"
		matched=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); print(d["matched"], d["changed"])' \
		    "$TMP/out")
		sel="SELECT device_id FROM addresses WHERE kind = 'ipv4' AND
		    value >= '$low' AND value < '$high'"
		timed sqlite3 "$TMP/base.db" "PRAGMA synchronous = FULL;
		    UPDATE devices SET status = '$st' WHERE id IN ($sel)" \
		    >>"$TMP/up"
		timed sqlite3 "$TMP/base.db" "PRAGMA synchronous = FULL;
		    BEGIN; UPDATE devices SET status = '$st' WHERE id IN ($sel);
		    INSERT INTO events (device_id, occurred_at_ms,
		    registered_at_ms, code, title, severity, technology,
		    category, description) SELECT id, 1, 1, 4000005004,
		    'New information received about a device', 1, 'system',
		    'device_attributes_changed', 'set by an administrator: '
		    || 'status ''$st''' FROM devices WHERE id IN ($sel);
		    COMMIT" >>"$TMP/upev"
	done
	kq=$(median <"$TMP/kq")
	up=$(median <"$TMP/up")
	upev=$(median <"$TMP/upev")
	echo "$name: $matched matched/changed (median of $RUNS runs)"
	echo "  kics-query device set --subnet $cidr --status S:  $kq s"
	echo "  sqlite3 UPDATE devices ... (same selection):       $up s" \
	    "(kics-query / sqlite3 = $(ratio "$kq" "$up"))"
	echo "  sqlite3 UPDATE + one events row per device:        $upev s" \
	    "(ratio $(ratio "$kq" "$upev"))"
}

echo "device set --subnet over $N devices"
bench "all peers" 10.0.0.0/15 10.0. 10.1/
bench "one /24" 10.0.7.0/24 10.0.7. 10.0.7/
stop_daemon
