#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Rules reload under load (issue 6): kics-agent-sim pushes reports while
# the rules file is replaced by a broken one and then by a new valid one,
# each followed by SIGHUP. Checks that nothing is lost or duplicated, that
# every EPP event was stored under exactly one whole rule set, and that the
# broken file kept the old rules and registered "configuration rejected".
# usage: test-rules-reload.sh KICS_EPP_PROXY KICS_AGENT_SIM
set -eu

DAEMON=$1
SIM=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test-rules-reload.XXXXXX")
DATA=$TMP/data
LOG=$TMP/daemon.log
PID=

cleanup() {
	[ -z "$PID" ] || kill -9 "$PID" 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	tail -n 30 "$LOG" >&2 || true
	exit 1
}

sql() {
	sqlite3 -bail "$DATA/kics-epp.db" "$1"
}

PORT=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >"$TMP/kics-epp.yaml" <<END_CONF
data_dir: $DATA
integration_servers:
  - name: test
    address: 127.0.0.1
    port: $PORT
event_types: ${KICS_SOURCE_ROOT:?}/conf/event-types.yaml
rules: rules.yaml
END_CONF
printf 'rules:\n  - name: mark\n    tags: [v1]\n' >"$TMP/rules.yaml"

"$DAEMON" --config "$TMP/kics-epp.yaml" --foreground >"$LOG" 2>&1 &
PID=$!
i=0
until grep -q 'ready:' "$LOG"; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "daemon did not start"
	kill -0 "$PID" 2>/dev/null || fail "daemon exited"
	sleep 0.05
done

"$SIM" --port "$PORT" --ca "$DATA/pki/ca.pem" --agents 20 --duration 6 \
    --sequence-start 1 --events-per-report 4 --quiet --json \
    >"$TMP/sim.json" &
SIMPID=$!

sleep 2
printf 'rules:\n  - name: [broken\n' >"$TMP/rules.yaml"
kill -HUP "$PID"
sleep 1
printf 'rules:\n  - name: mark\n    tags: [v2]\n' >"$TMP/rules.yaml"
kill -HUP "$PID"
wait "$SIMPID" || fail "kics-agent-sim reported errors: $(cat "$TMP/sim.json")"

acked=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["acked"])' "$TMP/sim.json")
kill -TERM "$PID"
wait "$PID" || fail "daemon did not exit cleanly"
PID=

[ "$acked" -gt 0 ] || fail "nothing acked"
# sequences start at 1 and every ack is committed: their sum is the count
stored=$(sql "SELECT SUM(sequence) FROM agents")
[ "$stored" = "$acked" ] || fail "acked $acked reports, stored $stored"
echo "ok - $acked reports acked and stored across two reloads"

v1=$(sql "SELECT COUNT(*) FROM events WHERE tags = '[\"v1\"]'")
v2=$(sql "SELECT COUNT(*) FROM events WHERE tags = '[\"v2\"]'")
epp=$(sql "SELECT COUNT(*) FROM events WHERE technology = 'epp'")
[ "$v1" -gt 0 ] && [ "$v2" -gt 0 ] ||
    fail "both rule sets should have applied: v1=$v1 v2=$v2"
[ $((v1 + v2)) = "$epp" ] ||
    fail "$epp EPP events, but $v1 under v1 and $v2 under v2"
echo "ok - every EPP event under one whole rule set ($v1 v1, $v2 v2)"

rejected=$(sql "SELECT COUNT(*) FROM event_log WHERE
    category = 'configuration_rejected' AND description LIKE
    '%rules.yaml%rejected%'")
[ "$rejected" = 1 ] || fail "configuration_rejected events: $rejected"
grep -q "rules.yaml:[0-9]*:[0-9]*: " "$LOG" || fail "the error was not logged with line"
echo "ok - a broken rules file is rejected, logged and registered"

dups=$(sql "SELECT COUNT(*) - COUNT(DISTINCT agent_ref || '/' || event_id)
    FROM events WHERE event_id IS NOT NULL")
[ "$dups" = 0 ] || fail "$dups duplicated events"
echo "ok - no duplicated events"
