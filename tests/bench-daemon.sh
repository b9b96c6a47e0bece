#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark of the whole daemon at its design load: 1,000 simulated agents
# on keep-alive TLS connections report for DURATION seconds, then a
# 1,001st computer must be refused with 403 agent_limit. Prints the ack
# rate and latency from kics-agent-sim, the daemon's peak memory, and as a
# baseline from the same run the rate of the same simulator against the
# same daemon with 10 agents (where neither TLS handshakes nor the agent
# count weigh).
# usage: bench-daemon.sh KICS_EPP_PROXY KICS_AGENT_SIM [DURATION]
set -eu

DAEMON=$1
SIM=$2
DURATION=${3:-10}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-daemon.XXXXXX")
DATA=$TMP/data
PID=

cleanup() {
	[ -z "$PID" ] || kill -9 "$PID" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SRC=${KICS_SOURCE_ROOT:?KICS_SOURCE_ROOT not set}
cat >"$TMP/kics-epp.yaml" <<END_CONF
data_dir: $DATA
user: root
limits:
  # every simulated agent connects from 127.0.0.1
  max_connections_per_address: 2000
integration_servers:
  - name: bench
    address: 127.0.0.1
    port: $PORT
agents:
  # every simulated agent comes from 127.0.0.1
  max_new_per_address_per_minute: 0
event_types: $SRC/conf/event-types.yaml
rules: $SRC/conf/rules.yaml
END_CONF

"$DAEMON" --config "$TMP/kics-epp.yaml" --foreground 2>"$TMP/log" &
PID=$!
until grep -qs 'ready:' "$TMP/log"; do
	kill -0 "$PID" 2>/dev/null || { cat "$TMP/log"; exit 1; }
	sleep 0.05
done

sim() {	# AGENTS FIRST-AGENT DURATION
	"$SIM" --port "$PORT" --ca "$DATA/pki/ca.pem" --agents "$1" \
	    --first-agent "$2" --duration "$3" --quiet --json \
	    --events-per-report 2 --connections-per-report 5
}

summary() {	# JSON → one line
	python3 -c 'import json, sys
s = json.loads(sys.argv[1])
lat = s.get("latency_ms", {})
print("acked %d, refused %d, busy %d, errors %d, %.0f reports/s, "
    "ack latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms" % (s["acked"],
    s["refused"], s["busy"], s["errors"], s["reports_per_s"],
    lat.get("p50", 0), lat.get("p95", 0), lat.get("p99", 0)))' "$1"
}

echo "baseline: 10 agents for $DURATION s"
summary "$(sim 10 5000 "$DURATION")"
echo "design load: 1000 agents for $DURATION s"
out=$(sim 990 0 "$DURATION")
summary "$out"
rss=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$PID/status")
echo "daemon peak memory (VmHWM): $rss"
computers=$(sqlite3 "$DATA/kics-epp.db" \
    "SELECT COUNT(DISTINCT device_id) FROM agents")
echo "computers with an agent: $computers"
echo "the 1,001st computer:"
set +e
extra=$(sim 1 20000 2)
set -e
summary "$extra"
python3 -c 'import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if s["refused"] == 1 and s["acked"] == 0 else 1)' "$extra" ||
    { echo "FAIL: the 1,001st computer was not refused"; exit 1; }
echo "ok - refused with 403 agent_limit"
kill -TERM "$PID"
wait "$PID"
PID=
