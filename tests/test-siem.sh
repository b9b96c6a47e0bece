#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# SIEM forwarding (issue 16) against a real receiver: Debian's rsyslogd on
# 127.0.0.1 with imudp, imtcp and imtcp over TLS (gtls, certificates made
# here with openssl). Events made by kics-agent-sim reach rsyslog's files
# in RFC 5424 (tcp, tls) and CEF (udp); rsyslog is stopped in the middle of
# a stream and started again: no event is missing and duplicates stay
# within what was in flight; a restart of the daemon resumes from the
# cursor; a CA that does not verify the receiver and a closed port show as
# connector states; kics-query connector list|add|edit|remove|test.
# usage: test-siem.sh KICS_EPP_PROXY KICS_AGENT_SIM KICS_QUERY
set -eu

DAEMON=$1
SIM=$2
QUERY=$3

. "$(dirname "$0")/lib.sh"
test_dir test-siem
RS_PID=

cleanup() {
	[ -z "$RS_PID" ] || kill -9 "$RS_PID" 2>/dev/null || true
	test_cleanup
}
trap cleanup EXIT

. "$(dirname "$0")/siem-fx.sh"

command -v rsyslogd >/dev/null || fail "rsyslogd is not installed"
make_certs
rsyslog_conf
PORT=$(free_port tcp)
PORT_CLOSED=$(free_port tcp)

# --- bad configuration is refused with file:line:column -----------------
cat >"$TMP/bad.yaml" <<END_CONF
data_dir: $DATA
connectors:
  - name: a
    address: 127.0.0.1
    port: 6514
    transport: carrier-pigeon
  - name: b
    address: 127.0.0.1
    port: 6514
    transport: tls
  - name: c
    address: 127.0.0.1
    port: 6514
    transport: tls
    ca: $TMP/no-such-ca.pem
    format: leef
END_CONF
if "$DAEMON" --config "$TMP/bad.yaml" --check >"$TMP/check.out" 2>&1; then
	fail "a bad connector configuration passed --check"
fi
grep -q "bad.yaml:6:16: unknown transport 'carrier-pigeon'" \
    "$TMP/check.out" || fail "transport error: $(cat "$TMP/check.out")"
grep -q "bad.yaml:10:16: transport tls needs ca" "$TMP/check.out" ||
    fail "tls without ca: $(cat "$TMP/check.out")"
grep -q "bad.yaml:15:9: ca '.*no-such-ca.pem': No such file" \
    "$TMP/check.out" || fail "missing ca: $(cat "$TMP/check.out")"
grep -q "bad.yaml:16:13: unknown format 'leef'" "$TMP/check.out" ||
    fail "format error: $(cat "$TMP/check.out")"
echo "ok - bad connectors are refused with file:line:column"

cat >"$TMP/kics-epp.yaml" <<END_CONF
data_dir: $DATA
integration_servers:
  - name: test
    address: 127.0.0.1
    port: $PORT
connectors:
  - name: siem-tcp
    type: syslog
    address: 127.0.0.1
    port: $PORT_TCP
    transport: tcp
    format: rfc5424
  - name: siem-tls
    address: 127.0.0.1
    port: $PORT_TLS
    transport: tls
    ca: $TMP/certs/ca.pem
  - name: siem-udp
    address: 127.0.0.1
    port: $PORT_UDP
    transport: udp
    format: cef
    min_severity: warning
    technologies: [epp]
  - name: siem-badca
    address: 127.0.0.1
    port: $PORT_TLS
    transport: tls
    ca: $TMP/certs/other-ca.pem
  - name: siem-down
    address: 127.0.0.1
    port: $PORT_CLOSED
event_types: ${KICS_SOURCE_ROOT:?}/conf/event-types.yaml
END_CONF
"$DAEMON" --config "$TMP/kics-epp.yaml" --check >/dev/null ||
    fail "the test configuration does not pass --check"

rsyslog_start
daemon_start 1

# sim SECONDS RATE RUN: each run with agents of its own (a rerun of an
# agent needs its token)
sim() {
	"$SIM" --port "$PORT" --ca "$DATA/pki/ca.pem" --agents 10 \
	    --first-agent $(($3 * 10)) \
	    --duration "$1" --events-per-report 4 --rate "${2:-200}" \
	    --quiet --json >"$TMP/sim.json" ||
	    fail "kics-agent-sim: $(cat "$TMP/sim.json")"
}

# Every event id of the database that connector $1's filter passes,
# against what file $2 received: no id missing; prints the duplicates.
check_delivered() {
	wait_drained "$1" 30 || fail "$1 did not catch up: $(
	    "$QUERY" --data-dir "$DATA" connector list)"
	# a connector forwards what was registered from its creation on
	sql "SELECT e.id FROM events e, connectors c WHERE c.name = '$1'
	    AND e.id >= (SELECT MIN(id) FROM events WHERE
	    category = 'connector_changed' AND description LIKE
	    '% ''' || c.name || ''' added%') AND e.severity >= c.min_severity AND
	    instr(c.technologies, e.technology) > 0" | sort >"$TMP/want.ids"
	# comm(1) wants the order of sort(1), not numbers
	received_ids "$2" | sort >"$TMP/got.ids"
	missing=$(sort -u "$TMP/got.ids" | comm -23 "$TMP/want.ids" - | wc -l)
	[ "$missing" = 0 ] || fail "$1: $missing event(s) missing in $2"
	extra=$(sort -u "$TMP/got.ids" | comm -13 "$TMP/want.ids" - | wc -l)
	[ "$extra" = 0 ] || fail "$1: $extra event(s) that were not stored"
	echo $(($(wc -l <"$TMP/got.ids") - $(wc -l <"$TMP/want.ids")))
}

# --- a stream over each transport ----------------------------------------
sim 3 200 1
n=$(sql "SELECT COUNT(*) FROM events")
[ "$n" -gt 100 ] || fail "only $n events"
for c in siem-tcp:tcp siem-tls:tls; do
	dups=$(check_delivered "${c%%:*}" "$RS_DIR/${c##*:}.log")
	[ "$dups" = 0 ] || fail "${c%%:*}: $dups duplicates without outage"
done
# the events are in event_id order on each stream
for f in tcp tls; do
	received_ids "$RS_DIR/$f.log" >"$TMP/order.ids"
	sort -n "$TMP/order.ids" | cmp -s - "$TMP/order.ids" ||
	    fail "$f: not in event_id order"
done
echo "ok - $n events forwarded over tcp and tls, in order, none twice"

# CEF over UDP: only EPP events of warning and above
wait_drained siem-udp 30 || fail "siem-udp did not catch up"
want=$(sql "SELECT COUNT(*) FROM events WHERE severity >= 2 AND
    technology = 'epp'")
got=$(grep -c 'CEF:0|kics-epp|kics-epp|' "$RS_DIR/udp.log" || true)
[ "$got" = "$want" ] || fail "udp: $got CEF messages, $want events pass"
grep -q 'CEF:0|kics-epp|kics-epp|[^|]*|40000055[0-9][0-9]|[^|]*|[69]|externalId=[0-9]* rt=[0-9]* ' \
    "$RS_DIR/udp.log" || fail "udp: no well-formed CEF header: $(head -2 \
    "$RS_DIR/udp.log")"
grep -q 'severity="info"' "$RS_DIR/udp.log" &&
    fail "udp: an info event passed min_severity warning"
echo "ok - CEF over udp with min_severity and technologies ($got)"

# RFC 5424 header: local0, APP-NAME, MSGID = code, SD params
line=$(sql "SELECT id || ' ' || code || ' ' || severity FROM events
    WHERE technology = 'epp' ORDER BY id LIMIT 1")
set -- $line
grep -q "^$2 \[kics@32473 event_id=\"$1\" code=\"$2\" severity=\"[a-z]*\" technology=\"epp\" device_id=\"[0-9]*\" ip=\"[^\"]*\" mac=\"[^\"]*\" hostname=\"[^\"]*\" category=\"[^\"]*\" tags=\"[^\"]*\"\]" \
    "$RS_DIR/tcp.log" || fail "tcp: event $1 not as RFC 5424 says: $(grep \
    "event_id=\"$1\"" "$RS_DIR/tcp.log")"
echo "ok - RFC 5424 structured data kics@32473 as documented"

# --- states of connectors that cannot deliver -----------------------------
i=0
until [ "$(sql "SELECT COUNT(*) FROM connector_cursors k JOIN connectors c
    ON c.id = k.connector_id WHERE c.name IN ('siem-badca', 'siem-down')
    AND k.state = 'error'")" = 2 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "bad connectors show no error state"
	sleep 0.1
done
out=$("$QUERY" --data-dir "$DATA" connector list --format json)
python3 - "$out" <<'END_PY' || fail "connector list: $out"
import json, sys
rows = {r["name"]: r for r in json.loads(sys.argv[1])}
assert rows["siem-tcp"]["state"] == "connected", rows["siem-tcp"]
assert rows["siem-tcp"]["backlog"] == 0, rows["siem-tcp"]
assert rows["siem-tcp"]["delivered"] > 0, rows["siem-tcp"]
bad = rows["siem-badca"]
assert bad["state"] == "error" and "certificate verify failed" in \
    bad["last_error"], bad
assert bad["backlog"] > 0 and bad["errors"] > 0, bad
down = rows["siem-down"]
assert down["state"] == "error" and "Connection refused" in \
    down["last_error"], down
END_PY
failed=$(sql "SELECT COUNT(*) FROM event_log WHERE category =
    'connector_failed' AND description LIKE '%siem-badca%verify%'")
[ "$failed" = 1 ] || fail "connector_failed events for siem-badca: $failed"
echo "ok - a CA that does not verify the receiver and a closed port show" \
    "as error states with the reason, once as connector_failed"

# --- rsyslog stops in the middle of a stream and comes back --------------
before=$(sql "SELECT COALESCE(MAX(id), 0) FROM events")
sim 8 300 2 &
SIMPID=$!
sleep 2
rsyslog_stop
sleep 3
rsyslog_start
wait "$SIMPID" || fail "kics-agent-sim failed during the outage"
for c in siem-tcp:tcp siem-tls:tls; do
	dups=$(check_delivered "${c%%:*}" "$RS_DIR/${c##*:}.log")
	total=$(sql "SELECT COUNT(*) FROM events WHERE id > $before")
	# in flight: what was written in the last grace second at most
	[ "$dups" -le $((total / 4)) ] ||
	    fail "${c%%:*}: $dups duplicates of $total events"
	echo "ok - ${c%%:*}: receiver stopped and restarted, none of" \
	    "$total events missing, $dups duplicate(s) (in flight)"
done
for cat in connector_failed connector_recovered; do
	n=$(sql "SELECT COUNT(*) FROM event_log WHERE category = '$cat' AND
	    description LIKE '%siem-tcp%'")
	[ "$n" -ge 1 ] || fail "no $cat event for siem-tcp"
done
echo "ok - the outage is registered as connector_failed and _recovered"

# --- a restart of the daemon resumes from the cursor ----------------------
daemon_stop
cursor=$(sql "SELECT k.event_id FROM connector_cursors k JOIN connectors c
    ON c.id = k.connector_id WHERE c.name = 'siem-tcp'")
last=$(sql "SELECT MAX(id) FROM events")
[ "$cursor" = "$last" ] || fail "stopped with cursor $cursor, last $last"
lines=$(wc -l <"$RS_DIR/tcp.log")
daemon_start 2
sim 2 200 3
check_delivered siem-tcp "$RS_DIR/tcp.log" >/dev/null
sed -n "$((lines + 1)),\$p" "$RS_DIR/tcp.log" >"$TMP/after.log"
resent=$(received_ids "$TMP/after.log" | awk -v c="$cursor" \
    '$1 <= c' | wc -l)
[ "$resent" = 0 ] || fail "$resent event(s) sent again after the restart"
echo "ok - after a restart the daemon resumes after event $cursor"

# --- kics-query connector ... ---------------------------------------------
q() {
	"$QUERY" --data-dir "$DATA" "$@"
}
out=$(q connector test siem-tcp) || fail "connector test siem-tcp: $out"
echo "$out" | grep -q "delivered" || fail "connector test: $out"
i=0
until grep -q '^test \[kics@32473 event_id="0"' "$RS_DIR/tcp.log"; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "the test message did not arrive"
	sleep 0.1
done
if out=$(q connector test siem-badca 2>&1); then
	fail "connector test with the wrong CA succeeded: $out"
fi
echo "$out" | grep -q "certificate verify failed" ||
    fail "connector test siem-badca: $out"
echo "ok - connector test says delivered, or why not"

q connector add extra --address 127.0.0.1 --port "$PORT_UDP" \
    --transport udp --message-format cef --min-severity critical >/dev/null ||
    fail "connector add"
q connector edit extra --min-severity warning --technologies system \
    --disable >/dev/null || fail "connector edit"
row=$(sql "SELECT transport || ' ' || format || ' ' || min_severity ||
    ' ' || technologies || ' ' || enabled FROM connectors
    WHERE name = 'extra'")
[ "$row" = "udp cef 2 system 0" ] || fail "extra is '$row'"
if out=$(q connector add tlsless --address 127.0.0.1 --port 1 \
    --transport tls 2>&1); then
	fail "tls without --ca was accepted"
fi
echo "$out" | grep -q "needs --ca" || fail "tls without --ca: $out"
rc=0
q connector remove extra --force >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "unknown option: exit $rc"
q connector remove extra >/dev/null || fail "connector remove"
[ "$(sql "SELECT COUNT(*) FROM connectors WHERE name = 'extra'")" = 0 ] ||
    fail "extra not removed"
n=$(sql "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'connector %'
    AND result = 'ok'")
[ "$n" -ge 4 ] || fail "$n connector actions audited"
status=$(q status --format json)
python3 -c 'import json, sys
s = json.loads(sys.argv[1])
names = [c["name"] for c in s["connectors"]]
assert "siem-tcp" in names, names' "$status" || fail "status: $status"
echo "ok - connector add, edit, remove (audited) and status"

# --- retention deletes events a down receiver never got: counted ---------
daemon_stop
c0=$(sql "SELECT k.event_id FROM connector_cursors k JOIN connectors c
    ON c.id = k.connector_id WHERE c.name = 'siem-down'")
sed -i 's/^event_types:/limits:\n  max_events: 1000\nevent_types:/' \
    "$TMP/kics-epp.yaml"
daemon_start 3
sim 3 200 4
# everything between its cursor and the oldest event left is lost to it
i=0
while :; do
	row=$(sql "SELECT k.trimmed || ' ' || ((SELECT MIN(id) FROM events) -
	    1 - $c0) FROM connector_cursors k JOIN connectors c
	    ON c.id = k.connector_id WHERE c.name = 'siem-down'")
	set -- $row
	[ "$1" -gt 0 ] && [ "$1" = "$2" ] && break
	i=$((i + 1))
	[ $i -lt 100 ] || fail "siem-down: $1 trimmed, $2 deleted"
	sleep 0.1
done
trimmed=$1
i=0
until [ "$(sql "SELECT COUNT(*) FROM event_log WHERE category =
    'connector_events_trimmed' AND description LIKE '%siem-down%'")" -ge 1 ]
do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "no connector_events_trimmed event"
	sleep 0.1
done
echo "ok - $trimmed events deleted by retention before a down receiver" \
    "got them are counted and registered"

daemon_stop
rsyslog_stop
