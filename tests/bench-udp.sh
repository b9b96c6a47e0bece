#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark of UDP mode (issue 14) against HTTPS in the same run, on the
# same daemon (one server with transport both) with the same simulated
# reports: (1) reports/s applied for AGENTS agents sending REPORTS each,
# over HTTPS keep-alive and over encrypted UDP, unpaced; (2) the offered
# UDP rate at which the first datagram or report is lost, doubling from
# 2x the design load of 1,000 agents reporting once a minute (33/s), with
# 800 agents (so that all fit under max_agents with those of (1)).
# usage: bench-udp.sh KICS_EPP_PROXY KICS_QUERY KICS_AGENT_SIM [AGENTS REPORTS]
set -eu

DAEMON=$1
QUERY=$2
SIM=$3
AGENTS=${4:-100}
REPORTS=${5:-20}
. "$(dirname "$0")/lib.sh"
READY_TIMEOUT_S=${READY_TIMEOUT_S:-30}
test_dir bench-udp

# transport both: the port must be free for TCP and for UDP
PORT=$(free_port both)
daemon_conf "$PORT" bench <<END_CONF
    transport: both
user: root
agents:
  max_new_per_address_per_minute: 100000
limits:
  max_connections_per_address: 2000
END_CONF
mkdir -p "$DATA"
start_daemon
printf 'bench package password\n' >"$TMP/pw"
"$QUERY" --data-dir "$DATA" package create --server 1 --out "$TMP/p.zip" \
    --password-file "$TMP/pw" >/dev/null

counter() {
	"$QUERY" --data-dir "$DATA" --format json server list |
	    python3 -c 'import json, sys
print(json.load(sys.stdin)[0][sys.argv[1]] or 0)' "$1"
}

# settle WANT: waits until udp_reports_applied reaches WANT, or has not
# moved for 5 s (what is missing then was lost); prints it
settle() {
	last=-1
	still=0
	while :; do
		a=$(counter udp_reports_applied)
		if [ "$a" -ge "$1" ] || [ "$still" -ge 25 ]; then
			echo "$a"
			return
		fi
		if [ "$a" = "$last" ]; then
			still=$((still + 1))
		else
			still=0
		fi
		last=$a
		sleep 0.2
	done
}

# the datagrams dropped so far for any reason
dropped() {
	"$QUERY" --data-dir "$DATA" --format json server list |
	    python3 -c 'import json, sys
s = json.load(sys.stdin)[0]
print(sum(s[k] or 0 for k in s if k.startswith("udp_dropped_")))'
}

# (1) the same population and reports over HTTPS, then over UDP; both
# timed from just before the simulator starts to the commit of the last
# report (the agents' last contact in the database), so that polling
# costs nothing
wall_ms() {
	python3 -c 'import time; print(int(time.time() * 1000))'
}
last_ms() {	# the last contact of agents FIRST..FIRST+AGENTS-1's ids
	sqlite3 "$DB" "SELECT MAX(last_contact_ms) FROM agents
	    WHERE server_id = 1"
}
T0=$(wall_ms)
"$SIM" --address 127.0.0.1 --port "$PORT" --package "$TMP/p.zip" \
    --password-file "$TMP/pw" --agents "$AGENTS" --reports "$REPORTS" \
    --quiet >/dev/null
T1=$(last_ms)
HTTPS=$(python3 -c "print(round($AGENTS * $REPORTS * 1000 / ($T1 - $T0), 1))")
A0=$(counter udp_reports_applied)
T0=$(wall_ms)
"$SIM" --transport udp --address 127.0.0.1 --package "$TMP/p.zip" \
    --password-file "$TMP/pw" --agents "$AGENTS" --reports "$REPORTS" \
    --first-agent 1000 --quiet >/dev/null
A=$(settle $((A0 + AGENTS * REPORTS)))
T1=$(last_ms)
UDP=$(python3 -c "print(round(($A - $A0) * 1000 / ($T1 - $T0), 1))")
echo "reports/s applied: https $HTTPS, udp $UDP" \
    "(udp/https $(python3 -c "print(round($UDP / $HTTPS, 2))"));" \
    "udp applied $((A - A0)) of $((AGENTS * REPORTS))"

# (2) offered UDP rate until the first loss
RATE=66
while [ "$RATE" -le 20000 ]; do
	K0=$(dropped)
	A0=$(counter udp_reports_applied)
	"$SIM" --transport udp --address 127.0.0.1 --package "$TMP/p.zip" \
	    --password-file "$TMP/pw" --agents 800 --first-agent 2000 \
	    --rate "$RATE" --duration 3 --quiet --json >"$TMP/s.json"
	SENT=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["sent"])' "$TMP/s.json")
	A=$(settle $((A0 + SENT)))
	K=$(dropped)
	echo "offered $RATE reports/s: sent $SENT, applied $((A - A0))," \
	    "datagrams dropped $((K - K0))"
	if [ $((A - A0)) -lt "$SENT" ] || [ "$K" -gt "$K0" ]; then
		echo "first loss at an offered $RATE reports/s" \
		    "(design load x2: 33/s)"
		break
	fi
	RATE=$((RATE * 2))
done
stop_daemon
