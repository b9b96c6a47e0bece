#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The main job on the embedded defaults: installs what is missing, builds,
# starts kics-epp-proxy (no --config: the built-in conf/kics-epp.yaml, with
# its data in ./var instead of /var/lib/kics-epp), lets kics-agent-sim push
# reports from 50 simulated agents for a few seconds, and shows what
# arrived. The daemon keeps running; the last lines say how to stop it.
set -eu
cd "$(dirname "$0")/.."

DATA=${KICS_DATA_DIR:-$PWD/var}
AGENTS=${AGENTS:-50}
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

# The agents' credentials: a communication data package of integration
# server 1 (the configured 'local') and its password.
PW=$DATA/package.password
if [ ! -s "$PW" ]; then
	(umask 077 && head -c 18 /dev/urandom | base64 >"$PW")
fi
build/query/kics-query --data-dir "$DATA" package create --server 1 \
    --out "$DATA/package-1.zip" --password-file "$PW"

echo "run: $AGENTS simulated agents for $SECONDS_RUN s"
build/tests/agent-sim/kics-agent-sim \
    --package "$DATA/package-1.zip" --password-file "$PW" \
    --agents "$AGENTS" --duration "$SECONDS_RUN" --events-per-report 3 \
    --connections-per-report 8

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
echo "The daemon is still running (pid $(cat "$DATA/kics-epp.pid")) and"
echo "listens on 127.0.0.1:8081. Renderers can read $DATA/kics-epp.db."
echo "Stop it with:  kill \$(cat $DATA/kics-epp.pid)"
