#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The main job on the embedded defaults: installs what is missing, builds,
# starts kics-epp-proxy (no --config: the built-in conf/kics-epp.yaml, with
# its data in ./var instead of /var/lib/kics-epp), lets kics-agent-sim push
# reports from 50 simulated agents over HTTPS and 10 more one way over
# UDP (as through a data diode) for a few seconds, and shows what arrived. The daemon keeps running; the last lines say how to stop it.
set -eu
cd "$(dirname "$0")/.."

DATA=${KICS_DATA_DIR:-$PWD/var}
AGENTS=${AGENTS:-50}
UDP_AGENTS=${UDP_AGENTS:-10}
SECONDS_RUN=${SECONDS_RUN:-5}

./scripts/install-deps.sh
if [ ! -f build/build.ninja ]; then
	meson setup build
fi
ninja -C build

mkdir -p "$DATA"
if [ -f "$DATA/kics-epp.pid" ] && kill -0 "$(cat "$DATA/kics-epp.pid")" \
    2>/dev/null; then
	echo "run: stopping the daemon already running on $DATA"
	kill "$(cat "$DATA/kics-epp.pid")"
	while kill -0 "$(cat "$DATA/kics-epp.pid" 2>/dev/null)" 2>/dev/null; do
		sleep 0.2
	done
fi

echo "run: starting kics-epp-proxy on the embedded defaults, data in $DATA"
# without --foreground it detaches once it listens and logs to syslog
build/ingest/kics-epp-proxy --data-dir "$DATA"

# The agents report to the first enabled integration server (the
# configured 'local' on a new data directory); after administration that
# removed or disabled every one, say how to go on.
SERVER=$(build/query/kics-query --data-dir "$DATA" --format json server list |
    python3 -c 'import json, sys
for s in json.load(sys.stdin):
    if s["enabled"]:
        print(s["id"], s["address"], s["port"])
        break')
if [ -z "$SERVER" ]; then
	echo "run: no enabled integration server in $DATA. Add one:" >&2
	echo "  build/query/kics-query --data-dir $DATA server add" \
	    "--address 127.0.0.1 --port 8081" >&2
	echo "or start over:  kill \$(cat $DATA/kics-epp.pid); rm -rf $DATA" >&2
	exit 1
fi
# shellcheck disable=SC2086
set -- $SERVER
ID=$1 ADDR=$2 PORT=$3

# The server takes reports over HTTPS and over UDP (transport both), so
# that agents behind a data diode can send too: the UDP ones get no
# answer and encrypt with the key of the server's package.
build/query/kics-query --data-dir "$DATA" server edit "$ID" --transport both

# The agents' credentials: a communication data package of that server
# and its password.
PW=$DATA/package.password
if [ ! -s "$PW" ]; then
	(umask 077 && head -c 18 /dev/urandom | base64 >"$PW")
fi
build/query/kics-query --data-dir "$DATA" package create --server "$ID" \
    --out "$DATA/package-$ID.zip" --password-file "$PW"

echo "run: $AGENTS simulated agents over HTTPS and $UDP_AGENTS over UDP" \
    "for $SECONDS_RUN s to $ADDR:$PORT"
# the UDP agents are others (--first-agent), paced: nothing slows them down
build/tests/agent-sim/kics-agent-sim --transport udp --address "$ADDR" \
    --package "$DATA/package-$ID.zip" --password-file "$PW" \
    --agents "$UDP_AGENTS" --first-agent 1000 --rate 20 \
    --duration "$SECONDS_RUN" --events-per-report 3 \
    --connections-per-report 8 &
UDP_PID=$!
build/tests/agent-sim/kics-agent-sim --address "$ADDR" --port "$PORT" \
    --package "$DATA/package-$ID.zip" --password-file "$PW" \
    --token-file "$DATA/agent-tokens" \
    --agents "$AGENTS" --duration "$SECONDS_RUN" --events-per-report 3 \
    --connections-per-report 8
echo "run: the UDP agents:"
wait "$UDP_PID"

# Monitoring-point traffic: a pcap written by scapy, imported by the
# daemon (which opens the file itself) as monitoring point "demo-span".
echo
echo "run: importing a generated pcap (Modbus, S7comm, DNP3, IEC 104, ...)"
/usr/bin/python3 tests/traffic-pcap.py protocols "$DATA/demo-traffic.pcap"
build/query/kics-query --data-dir "$DATA" traffic import \
    "$DATA/demo-traffic.pcap" --point demo-span || true
echo
echo "== map edges from traffic (kics-query map edges)"
build/query/kics-query --data-dir "$DATA" map edges | grep -E 'SOURCE|traffic' |
    head -15 || true

echo
echo "== devices (kics-query devices --limit 15)"
build/query/kics-query --data-dir "$DATA" devices --limit 15 || true
echo
echo "== latest events (kics-query events --limit 10)"
build/query/kics-query --data-dir "$DATA" events --limit 10 || true
echo
echo "== status"
build/query/kics-query --data-dir "$DATA" status || true
echo
echo "== UDP counters of the server (kics-query server list --format json)"
build/query/kics-query --data-dir "$DATA" --format json server list |
    python3 -c 'import json, sys
for s in json.load(sys.stdin):
    print(s["name"], s["transport"], {k: v for k, v in s.items()
        if k.startswith("udp_")})' || true
echo
echo "== map picture (kics-query map render --out $DATA/map.svg)"
build/query/kics-query --data-dir "$DATA" map render --out "$DATA/map.svg" ||
    true
echo
echo "The map is in $DATA/map.svg: open it in a web browser. One device and"
echo "its neighbours:  build/query/kics-query --data-dir $DATA map render" \
    "--out one.png --device NAME --depth 1"
echo "The daemon is still running (pid $(cat "$DATA/kics-epp.pid")) and"
echo "listens on $ADDR:$PORT (HTTPS and UDP). Renderers can read"
echo "$DATA/kics-epp.db."
echo "Stop it with:  kill \$(cat $DATA/kics-epp.pid)"
