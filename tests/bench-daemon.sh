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
. "$(dirname "$0")/lib.sh"
READY_TIMEOUT_S=${READY_TIMEOUT_S:-30}
test_dir bench-daemon

PORT=$(free_port)
daemon_conf "$PORT" bench <<END_CONF
user: root
limits:
  # every simulated agent connects from 127.0.0.1
  max_connections_per_address: 2000
agents:
  # every simulated agent comes from 127.0.0.1
  max_new_per_address_per_minute: 0
END_CONF
start_daemon

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
computers=$(sqlite3 "$DB" "SELECT COUNT(DISTINCT device_id) FROM agents")
echo "computers with an agent: $computers"
echo "the 1,001st computer:"
set +e
extra=$(sim 1 20000 2)
set -e
summary "$extra"
python3 -c 'import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if s["refused"] == 1 and s["acked"] == 0 else 1)' "$extra" ||
    fail "the 1,001st computer was not refused"
echo "ok - refused with 403 agent_limit"
stop_daemon
