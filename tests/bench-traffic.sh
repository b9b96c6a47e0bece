#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark of traffic import (issue 13): a generated pcap of PACKETS
# packets in FLOWS TCP flows (tests/traffic-bigpcap.py: Modbus polls, each
# flow a handshake and then requests and responses, all flows interleaved),
# imported through the real daemon with kics-query traffic import, beside
# a plain libpcap loop (bench-pcap-read) that only reads the same file, in
# the same run. Two scenarios, each with its own file, its own baseline
# and a fresh daemon of its own:
#
#   monitoring point  the flows among a bounded host population: CLIENTS
#                     clients (default 2000) polling 200 servers, each
#                     client one server over FLOWS/CLIENTS connections, so
#                     2200 devices and 2000 interactions for 50,000 flows
#   worst case        one new client per flow: FLOWS + 200 new devices and
#                     FLOWS interactions, every flow a device to create
#
# The goal (import at least 25 % of the plain read rate) is judged on the
# monitoring-point scenario: a monitoring point sees a bounded set of hosts
# whose devices are made once, while their flows go on; the worst case is
# the first import of a network of FLOWS hosts never seen before, whose
# cost is that of making FLOWS devices (SQL, the "device added" event) and
# is printed beside it so that it stays in sight.
#
# Each scenario prints the rates and their ratio by the clock, the ratio by
# processor time (the daemon's, all its threads, against the plain
# loop's; the machine's other load does not skew it), the daemon's memory
# peak (VmHWM) and the load average. The plain read is the best of three
# runs. BENCH_TRAFFIC_PERF=PREFIX records a perf profile of each import
# into PREFIX-SCENARIO.data.
# usage: bench-traffic.sh KICS_EPP_PROXY KICS_QUERY BENCH_PCAP_READ
#        [PACKETS [FLOWS [CLIENTS]]]
set -eu

DAEMON=$1
QUERY=$2
READ=$3
PACKETS=${4:-1000000}
FLOWS=${5:-50000}
CLIENTS=${6:-2000}
SRC=${KICS_SOURCE_ROOT:?KICS_SOURCE_ROOT not set}
PERF=${BENCH_TRAFFIC_PERF:-}

. "$(dirname "$0")/lib.sh"
READY_TIMEOUT_S=${READY_TIMEOUT_S:-30}
PERF_PID=
bench_cleanup() {
	[ -z "$PERF_PID" ] || kill -INT "$PERF_PID" 2>/dev/null || true
	test_cleanup
}
test_dir bench-traffic
trap bench_cleanup EXIT

now() { date +%s.%N; }
# processor time of the daemon so far, in clock ticks
cpu() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# Starts a daemon of its own in DIR, with no integration server.
scenario_daemon() {	# DIR
	DATA=$1/data
	CONF=$1/kics-epp.yaml
	LOG=$1/log
	cat >"$CONF" <<END_CONF
data_dir: $DATA
log_level: info
integration_servers: []
traffic:
  max_flows: 65536
END_CONF
	start_daemon
}

scenario() {	# NAME LABEL CLIENTS
	dir="$TMP/$1"
	mkdir "$dir"
	/usr/bin/python3 "$SRC/tests/traffic-bigpcap.py" "$PACKETS" "$FLOWS" \
	    "$dir/big.pcap" "$3"
	scenario_daemon "$dir"
	# the baseline reads the file once to warm the page cache, then is
	# timed three times: the best of them (the fastest plain read) is
	# the one the import is held against
	"$READ" "$dir/big.pcap" >/dev/null
	base=$(for i in 1 2 3; do "$READ" "$dir/big.pcap"; done | tr '\n' '|')
	if [ -n "$PERF" ]; then
		perf record -q -F 999 -g -o "$PERF-$1.data" -p "$PID" \
		    2>/dev/null &
		PERF_PID=$!
		sleep 0.5
	fi
	c0=$(cpu)
	t0=$(now)
	"$QUERY" --data-dir "$dir/data" traffic import "$dir/big.pcap" \
	    --point bench >"$dir/out"
	t1=$(now)
	c1=$(cpu)
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID"
		wait "$PERF_PID" || true
		PERF_PID=
	fi
	hwm=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$PID/status")
	stop_daemon
	echo "$2: $(cat "$dir/out")"
	python3 - "$2" "$base" "$t0" "$t1" "$PACKETS" "$hwm" "$c0" "$c1" \
	    "$(getconf CLK_TCK)" "$(load)" <<'PY'
import sys
label, base, t0, t1, n, hwm, c0, c1, tck, load = sys.argv[1:]
runs = [r.split() for r in base.split("|") if r]
plain = max(int(f[1]) / float(f[3]) for f in runs)
imp = int(n) / (float(t1) - float(t0))
cpu_plain = min(float(f[5]) for f in runs)
cpu_imp = (int(c1) - int(c0)) / float(tck)
print("%s: plain libpcap read %.0f packets/s, traffic import %.0f "
      "packets/s (%.1f s: reading, flows and the database): %.1f %% of the "
      "plain read rate; by processor time: plain read %.3f s, import "
      "%.2f s (every thread of the daemon): %.1f %%; daemon memory peak "
      "(VmHWM) %s; load average %s"
      % (label, plain, imp, float(t1) - float(t0), 100.0 * imp / plain,
         cpu_plain, cpu_imp, 100.0 * cpu_plain / cpu_imp, hwm, load))
PY
	rm -f "$dir/big.pcap"
}

echo "traffic import of $PACKETS packets in $FLOWS flows; goal: at least" \
    "25 % of the plain read rate in the monitoring-point scenario"
scenario point "monitoring point ($CLIENTS clients, 200 servers)" "$CLIENTS"
scenario worst "worst case (one new client device per flow)" "$FLOWS"
