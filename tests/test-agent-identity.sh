#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Agent identity end to end (issue 11): the real daemon over TLS on
# 127.0.0.1. The token of the first ack, a forged report refused with
# 403 agent_identity while the agent goes on, a sequence of 2^64-1
# refused, the limit on new agents per address, and kics-query agent
# list, reset and remove (as root; refused for a user without a role).
# usage: test-agent-identity.sh KICS_EPP_PROXY MAKE_REPORT KICS_QUERY
# Needs curl, sqlite3 and python3; setpriv for the refused user (as root).
set -eu

DAEMON=$1
MKREP=$2
QUERY=$3

. "$(dirname "$0")/lib.sh"
test_dir test-agent-identity

PORT=$(free_port)
URL=https://127.0.0.1:$PORT
daemon_conf "$PORT" <<EOF
log_level: debug
agents:
  max_new_per_address_per_minute: 4
EOF
start_daemon

# send ARGS...: posts the report make-report makes of ARGS, prints the HTTP
# status and leaves the reply in $TMP/reply
send() {
	"$MKREP" "$@" >"$TMP/report" || fail "make-report $*"
	curl -sS --cacert "$DATA/pki/ca.pem" -o "$TMP/reply" \
	    -w '%{http_code}' -H "Content-Type: application/x-protobuf" \
	    --data-binary "@$TMP/report" "$URL/api/v1/report"
}

ack_token() {
	"$MKREP" --decode-ack <"$TMP/reply" | sed -n 's/^agent_token=//p'
}

reply_field() {	# code|message
	"$MKREP" --decode-error <"$TMP/reply" | sed -n "s/^$1=//p"
}

sql() {
	sqlite3 -bail "$DB" "$1"
}

# kics-query ARGS as root: exit status in $rc, output in $TMP/out
qrc() {
	rc=0
	"$QUERY" --data-dir "$DATA" "$@" >"$TMP/out" 2>&1 || rc=$?
}

# --- the token of the first ack, used once, then never sent again ---
check_eq "first report" 200 "$(send --agent agent-a --seq 1 \
    --mac aa:bb:cc:00:00:01 --ip 10.0.0.1 --hostname host-a)"
T=$(ack_token)
check_eq "first ack carries a 128-bit token" 32 \
    "$(printf '%s' "$T" | tr -cd 0-9a-f | wc -c | tr -d ' ')"
check_eq "second report without it" 200 "$(send --agent agent-a --seq 2)"
check_eq "its ack carries the same token" "$T" "$(ack_token)"
check_eq "third report with it" 200 "$(send --agent agent-a --seq 3 \
    --token "$T")"
check_eq "no token once used" "" "$(ack_token)"
DEVICE=$(sql "SELECT device_id FROM agents WHERE agent_id = 'agent-a'")

# --- forged reports: refused, nothing changes ---
check_eq "forged report without token" 403 "$(send --agent agent-a \
    --seq 9223372036854775807 --mac aa:bb:cc:00:00:99 --ip 10.9.9.9 \
    --hostname forged --events 2 --event-prefix forged)"
check_eq "its code" agent_identity "$(reply_field code)"
check_eq "forged report with a wrong token" 403 "$(send --agent agent-a \
    --seq 9223372036854775807 --token 0123456789abcdef0123456789abcdef \
    --mac aa:bb:cc:00:00:99 --events 2 --event-prefix forged)"
check_eq "its code" agent_identity "$(reply_field code)"
check_eq "sequence, device and events unchanged" "3|$DEVICE|0" \
    "$(sql "SELECT sequence, device_id, (SELECT count(*) FROM events
	WHERE event_id LIKE 'forged-%') FROM agents
	WHERE agent_id = 'agent-a'")"
grep -q "report of agent 'agent-a' from 127.0.0.1 refused" "$LOG" ||
    fail "refusal not logged"
grep -q "$T" "$LOG" && fail "the token appears in the log"
echo "ok - the refusal is logged, the token is not"

# --- issue 11: 2^64-1 cannot poison the sequence, even with the token ---
check_eq "sequence 2^64-1" 400 "$(send --agent agent-a \
    --seq 18446744073709551615 --token "$T")"
check_eq "its code" bad_payload "$(reply_field code)"
check_eq "its message" "sequence: 18446744073709551615 is above 9223372036854775807" \
    "$(reply_field message)"
check_eq "the agent keeps working" 200 "$(send --agent agent-a --seq 4 \
    --token "$T")"
check_eq "stored sequence" 4 "$(sql "SELECT sequence FROM agents
    WHERE agent_id = 'agent-a'")"

# --- new agents per address and minute (4 here; agent-a was one) ---
codes=
for n in 1 2 3 4 5; do
	codes="$codes $(send --agent "flood-$n" --seq 1)"
done
check_eq "new agents from 127.0.0.1" " 200 200 200 403 403" "$codes"
check_eq "refusal code" agent_limit "$(reply_field code)"
check_eq "refusal message" "too many new agents from 127.0.0.1: 4 in the last minute (agents.max_new_per_address_per_minute 4)" \
    "$(reply_field message)"
check_eq "known agents of the address go on" 200 "$(send --agent agent-a \
    --seq 5 --token "$T")"
check_eq "agents stored" 4 "$(sql "SELECT count(*) FROM agents")"

# --- copies of a report on disk, with the agent's token: the loop's ---
# (issue 17) the event loop answers them alone once the writer's answer
# to that sequence under that token is on disk; kics-query status counts
# them as resends_loop, the writer's own as resends_early.
writer_stat() {	# NAME
	"$QUERY" --data-dir "$DATA" status --format json | python3 -c '
import json, sys
print(json.load(sys.stdin)["daemon"]["writer"][sys.argv[1]])' "$1"
}
acked() {
	"$MKREP" --decode-ack <"$TMP/reply" | sed -n 's/^acked_sequence=//p'
}
check_eq "none answered on the loop yet" 0 "$(writer_stat resends_loop)"
early=$(writer_stat resends_early)
check_eq "a copy of sequence 5 with the token" 200 "$(send --agent agent-a \
    --seq 5 --token "$T")"
check_eq "its ack" "5|" "$(acked)|$(ack_token)"
check_eq "a copy of sequence 4" 200 "$(send --agent agent-a --seq 4 \
    --token "$T")"
check_eq "its ack" "4|" "$(acked)|$(ack_token)"
check_eq "both answered on the loop" "2|$early" \
    "$(writer_stat resends_loop)|$(writer_stat resends_early)"
check_eq "a copy with a wrong token" 403 "$(send --agent agent-a --seq 5 \
    --token 0123456789abcdef0123456789abcdef)"
check_eq "a copy without the token" 403 "$(send --agent agent-a --seq 5)"
check_eq "sequence 6 with the token is new" 200 "$(send --agent agent-a \
    --seq 6 --token "$T")"
check_eq "refusals and new sequences are the writer's" 2 \
    "$(writer_stat resends_loop)"
check_eq "stored sequence" 6 "$(sql "SELECT sequence FROM agents
    WHERE agent_id = 'agent-a'")"

# --- kics-query agent list ---
qrc --format csv agent list
check_eq "agent list" 0 "$rc"
# csv starts with the UTF-8 byte order mark and its lines end in CRLF
[ "$(head -c 3 "$TMP/out" | od -An -tx1 | tr -d ' ')" = efbbbf ] ||
    fail "agent list csv does not start with the UTF-8 BOM"
tail -c +4 "$TMP/out" | tr -d '\r' >"$TMP/list.csv"
mv "$TMP/list.csv" "$TMP/out"
check_eq "agent list header" \
    "agent_id,device_id,server_id,last_contact_ms,connected,token_bound" \
    "$(head -n 1 "$TMP/out")"
check_eq "agent-a listed" "agent-a,$DEVICE,1,yes,yes" \
    "$(grep '^agent-a,' "$TMP/out" | cut -d, -f1-3,5,6)"
grep -q "$T" "$TMP/out" && fail "agent list shows the token"
"$QUERY" --data-dir "$DATA" --format json agent list | grep -q "$T" &&
    fail "agent list --format json shows the token"
echo "ok - agent list never shows the token"

# --- agent reset: a reinstalled agent binds a new token ---
qrc agent reset agent-a
check_eq "agent reset" 0 "$rc"
check_eq "token unbound" "" "$(sql "SELECT token FROM agents
    WHERE agent_id = 'agent-a'")"
qrc agent reset no-such-agent
check_eq "reset of an unknown agent" 1 "$rc"
grep -q "no agent 'no-such-agent'" "$TMP/out" ||
    fail "unknown agent not named: $(cat "$TMP/out")"
check_eq "the reinstalled agent" 200 "$(send --agent agent-a --seq 7 \
    --mac aa:bb:cc:00:00:01)"
T2=$(ack_token)
[ -n "$T2" ] && [ "$T2" != "$T" ] || fail "no new token after reset: '$T2'"
echo "ok - a new token after reset"
# the loop forgot what it knew of the old token
check_eq "a copy of sequence 5 with the old token is refused" 403 \
    "$(send --agent agent-a --seq 5 --token "$T")"
check_eq "the old token is refused" 403 "$(send --agent agent-a --seq 8 \
    --token "$T")"
check_eq "the new one is taken" 200 "$(send --agent agent-a --seq 8 \
    --token "$T2")"
check_eq "a copy of sequence 8 with the new one" 200 \
    "$(send --agent agent-a --seq 8 --token "$T2")"
check_eq "answered on the loop" 3 "$(writer_stat resends_loop)"

# --- agent remove: the agent goes, its device stays ---
devices=$(sql "SELECT count(*) FROM devices")
qrc agent remove flood-1
check_eq "agent remove" 0 "$rc"
check_eq "agent removed" 0 "$(sql "SELECT count(*) FROM agents
    WHERE agent_id = 'flood-1'")"
check_eq "its device stays" "$devices" "$(sql "SELECT count(*) FROM devices")"
qrc agent remove flood-1
check_eq "remove again" 1 "$rc"
check_eq "audit records" "agent reset|agent agent-a|ok
agent reset|agent no-such-agent|failed
agent remove|agent flood-1|ok
agent remove|agent flood-1|failed" "$(sql "SELECT action, target, result
    FROM audit_log WHERE action LIKE 'agent %' AND action <> 'agent list'
    ORDER BY id")"

# --- a removed agent's copies go to the writer again ---
check_eq "flood-2 again" 200 "$(send --agent flood-2 --seq 2)"
TF=$(ack_token)
check_eq "flood-2 with its token" 200 "$(send --agent flood-2 --seq 3 \
    --token "$TF")"
check_eq "a copy of it" 200 "$(send --agent flood-2 --seq 3 --token "$TF")"
check_eq "answered on the loop" 4 "$(writer_stat resends_loop)"
qrc agent remove flood-2
check_eq "flood-2 removed" 0 "$rc"
# a new agent now: refused by the limit of new agents per address, or
# (after a minute) stored with a token of its own; never the old ack
code=$(send --agent flood-2 --seq 3 --token "$TF")
case "$code|$(ack_token)" in
403\|) check_eq "its code" agent_limit "$(reply_field code)" ;;
200\|?*) echo "ok - stored as a new agent" ;;
*) fail "a copy of a removed agent's report answered $code," \
    "token '$(ack_token)'" ;;
esac
check_eq "not answered on the loop" 4 "$(writer_stat resends_loop)"

# --- a user without a role may not reset or remove ---
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0755 "$TMP" "$DATA"
	chmod 0666 "$DATA/control.sock"
	rc=0
	setpriv --reuid=54321 --regid=54321 --clear-groups "$QUERY" \
	    --data-dir "$DATA" agent reset agent-a >"$TMP/out" 2>&1 || rc=$?
	check_eq "agent reset by a user without a role" 4 "$rc"
	rc=0
	setpriv --reuid=54321 --regid=54321 --clear-groups "$QUERY" \
	    --data-dir "$DATA" agent remove agent-a >"$TMP/out" 2>&1 || rc=$?
	check_eq "agent remove by a user without a role" 4 "$rc"
	check_eq "still bound and present" "yes" "$(sql "SELECT CASE WHEN
	    token IS NULL THEN 'no' ELSE 'yes' END FROM agents
	    WHERE agent_id = 'agent-a'")"
else
	echo "ok - # SKIP refusal for a user without a role (needs root)"
fi

stop_daemon
