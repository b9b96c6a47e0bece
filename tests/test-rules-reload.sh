#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Rules reload under load (issue 6): kics-agent-sim pushes reports while
# the rules file is replaced by a broken one and then by a new valid one,
# each followed by SIGHUP. Checks that nothing is lost or duplicated, that
# every EPP event was stored under exactly one whole rule set, and that the
# broken file kept the old rules and registered "configuration rejected".
# Also checks kics-query rules list (the saved counters) and rules test.
# usage: test-rules-reload.sh KICS_EPP_PROXY KICS_AGENT_SIM KICS_QUERY
set -eu

DAEMON=$1
SIM=$2
QUERY=$3

. "$(dirname "$0")/lib.sh"
test_dir test-rules-reload

sql() {
	sqlite3 -bail "$DATA/kics-epp.db" "$1"
}

PORT=$(free_port)

cat >"$CONF" <<END_CONF
data_dir: $DATA
integration_servers:
  - name: test
    address: 127.0.0.1
    port: $PORT
event_types: ${KICS_SOURCE_ROOT:?}/conf/event-types.yaml
rules: rules.yaml
END_CONF
printf 'rules:\n  - name: mark\n    tags: [v1]\n' >"$TMP/rules.yaml"

start_daemon

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
stop_daemon

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

# kics-query rules list: the set the daemon ran last, with its counters
out=$("$QUERY" --data-dir "$DATA" rules list --format json)
n=$(python3 -c 'import json, sys
r = json.loads(sys.argv[1])
assert len(r) == 1 and r[0]["name"] == "mark" and r[0]["tags"] == ["v2"], r
print(r[0]["matches"])' "$out") || fail "rules list --format json: $out"
# the new "mark" carries the counter of the old one, by name
[ "$n" = $((v1 + v2)) ] ||
    fail "rules list counts $n matches, $v1 + $v2 events were tagged"
echo "ok - rules list shows the running set and its counter ($n)"

# kics-query rules test: matches, outcome, errors; writes nothing
before=$(sql "SELECT COUNT(*) FROM events")
out=$("$QUERY" rules test --format json --file "$TMP/rules.yaml" \
    --event-json '{"category": "threat_detected", "severity": "warning"}')
python3 -c 'import json, sys
o = json.loads(sys.argv[1])
assert o["matched"] == ["mark"], o
assert o["event"]["tags"] == ["v2"] and o["event"]["stored"] is True, o
assert o["event"]["severity"] == "warning", o' "$out" ||
    fail "rules test --format json: $out"
[ "$(sql "SELECT COUNT(*) FROM events")" = "$before" ] ||
    fail "rules test wrote to the database"
echo "ok - rules test shows the matching rules and the stored event"
printf 'rules:\n  - name: x\n    set: { severity: huge }\n' >"$TMP/bad.yaml"
set +e
err=$("$QUERY" rules test --file "$TMP/bad.yaml" --event-json '{}' 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "rules test of a broken file: exit $rc"
echo "$err" | grep -q "^$TMP/bad.yaml:3:[0-9]*: unknown severity 'huge'" ||
    fail "rules test of a broken file: $err"
set +e
"$QUERY" rules test --file "$TMP/rules.yaml" --event-json '[1]' 2>/dev/null
rc=$?
set -e
[ "$rc" = 2 ] || fail "rules test with a non-object event: exit $rc"
echo "ok - rules test reports file:line:column errors and bad events"
