#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark of traffic import (issue 13): a generated pcap of PACKETS
# packets in FLOWS flows, imported through the real daemon with kics-query
# traffic import, beside a plain libpcap loop that only reads the same
# file, in the same run. Prints both rates, their ratio (goal: import at
# least 25 % of the plain read rate) and the daemon's memory peak (VmHWM);
# then the same ratio by processor time (the daemon's, all its threads,
# against the plain loop's), which the machine's other load does not skew.
# usage: bench-traffic.sh KICS_EPP_PROXY KICS_QUERY BENCH_PCAP_READ
#        [PACKETS [FLOWS [CLIENTS]]]
# (CLIENTS: how many client hosts the flows come from; default one each)
set -eu

DAEMON=$1
QUERY=$2
READ=$3
PACKETS=${4:-1000000}
FLOWS=${5:-50000}
CLIENTS=${6:-$FLOWS}
SRC=${KICS_SOURCE_ROOT:?KICS_SOURCE_ROOT not set}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-traffic.XXXXXX")
PID=
cleanup() {
	[ -z "$PID" ] || kill -9 "$PID" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

/usr/bin/python3 "$SRC/tests/traffic-bigpcap.py" "$PACKETS" "$FLOWS" \
    "$TMP/big.pcap" "$CLIENTS"
cat >"$TMP/kics-epp.yaml" <<CONF
data_dir: $TMP/data
log_level: info
integration_servers: []
traffic:
  max_flows: 65536
CONF
"$DAEMON" --config "$TMP/kics-epp.yaml" --foreground >"$TMP/log" 2>&1 &
PID=$!
i=0
until grep -qs 'ready:' "$TMP/log"; do
	i=$((i + 1))
	[ $i -lt 200 ] || { cat "$TMP/log" >&2; exit 1; }
	sleep 0.05
done

now() { date +%s.%N; }
# processor time of the daemon so far, in clock ticks
cpu() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
# the baseline reads the file once to warm the page cache, then is timed
"$READ" "$TMP/big.pcap" >/dev/null
BASE=$("$READ" "$TMP/big.pcap")
C0=$(cpu)
T0=$(now)
"$QUERY" --data-dir "$TMP/data" traffic import "$TMP/big.pcap" \
    --point bench >"$TMP/out"
T1=$(now)
C1=$(cpu)
HWM=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$PID/status")
cat "$TMP/out"
python3 - "$BASE" "$T0" "$T1" "$PACKETS" "$HWM" "$C0" "$C1" \
    "$(getconf CLK_TCK)" <<'PY'
import sys
base, t0, t1, n, hwm, c0, c1, tck = sys.argv[1:]
f = base.split()
plain = int(f[1]) / float(f[3])
imp = int(n) / (float(t1) - float(t0))
print("plain libpcap read: %.0f packets/s" % plain)
print("traffic import:     %.0f packets/s (%.1f s, both passes and the "
      "database)" % (imp, float(t1) - float(t0)))
print("ratio: %.1f %% of the plain read rate (goal: at least 25 %%)"
      % (100.0 * imp / plain))
print("daemon memory peak (VmHWM): %s" % hwm)
cpu_plain = float(f[5])
cpu_imp = (int(c1) - int(c0)) / float(tck)
print("by processor time: plain read %.3f s, import %.2f s (every thread "
      "of the daemon): %.1f %%" % (cpu_plain, cpu_imp,
                                  100.0 * cpu_plain / cpu_imp))
PY
kill -TERM "$PID"
wait "$PID" || true
PID=
