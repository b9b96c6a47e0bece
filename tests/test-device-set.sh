#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of kics-query device set (issue 12) against the real
# daemon: devices by id, IP, MAC and name, several at once, --subnet, one
# transaction and one audit record, the refusals (an Operator: exit 4; an
# unknown value: exit 2; nothing matching: exit 1, nothing changed), and
# --status archived through the archive, then the agents' next reports
# (4000005006, unauthorized again).
# usage: test-device-set.sh KICS_EPP_PROXY KICS_QUERY KICS_AGENT_SIM
# Needs root, setpriv (util-linux), useradd and userdel (passwd), sqlite3
# and python3. Removes at exit the user it created, never one that existed.
set -eu

DAEMON=$1
QUERY=$2
SIM=$3

if [ "$(id -u)" != 0 ]; then
	echo "test-device-set: needs root (useradd, setpriv); skipped"
	exit 77
fi

. "$(dirname "$0")/lib.sh"
test_dir test-device-set
chmod 0755 "$TMP"
FAIL_FILES=$TMP/out	# the last output of kics-query, shown by fail
OP=kics-ds$$-op		# this run's own name: runs may overlap
MADE_USER=

cleanup() {
	daemon_kill
	if [ -n "$MADE_USER" ]; then
		userdel "$OP" || echo "test-device-set: cannot remove $OP" >&2
	fi
	test_cleanup
}
trap cleanup EXIT

# status of "kics-query ARGS" as root in $rc, output in $TMP/out
qrc() {
	rc=0
	"$QUERY" --data-dir "$DATA" "$@" >"$TMP/out" 2>&1 || rc=$?
}

sql() {
	sqlite3 -bail "$DB" "$1"
}

agents() {	# one report of each of 6 agents; exit status
	src=0
	"$SIM" --address 127.0.0.1 --port "$P1" --package "$TMP/pkg.zip" \
	    --password-file "$TMP/pw" --agents 6 --reports 1 --quiet \
	    --connections-per-report 4 --host-every 1 --timeout 10 \
	    --token-file "$TMP/tokens" >"$TMP/sim.out" 2>&1 || src=$?
	echo "$src"
}

if ! id "$OP" >/dev/null 2>&1; then
	useradd -M -N -s /usr/sbin/nologin "$OP"
	MADE_USER=1
fi

P0=$(free_port)
daemon_conf "$P0" base <<EOC
users:
  - name: $OP
    role: operator
EOC
mkdir -m 0755 "$DATA"
start_daemon
chmod 0666 "$DATA/control.sock"	# the Operator reaches the socket

# --- devices from six simulated agents and their peers ---
P1=$(free_port)
printf 'S3cret passw0rd\n' >"$TMP/pw"
qrc server add --address 127.0.0.1 --port "$P1" --name sim
check_eq "server add" 0 "$rc"
SID=$(sql "SELECT id FROM integration_servers WHERE name = 'sim'")
qrc package create --server "$SID" --out "$TMP/pkg.zip" \
    --password-file "$TMP/pw"
check_eq "package create" 0 "$rc"
check_eq "six agents report" 0 "$(agents)"
N=$(sql "SELECT count(*) FROM devices")
[ "$N" -gt 6 ] || fail "only $N devices"
echo "ok - $N devices"

# --- one device by id, then by its new name, IP and MAC ---
D1=$(sql "SELECT device_id FROM agents ORDER BY id LIMIT 1")
D2=$(sql "SELECT device_id FROM agents ORDER BY id LIMIT 1 OFFSET 1")
IP2=$(sql "SELECT value FROM addresses WHERE device_id = $D2 AND
    kind = 'ipv4' LIMIT 1")
MAC2=$(sql "SELECT value FROM addresses WHERE device_id = $D2 AND
    kind = 'mac' LIMIT 1")
qrc device set "$D1" --name plc-a --status authorized
check_eq "device set ID" "0 device $D1 updated" "$rc $(cat "$TMP/out")"
qrc device set PLC-A --model S7-1500
check_eq "device set NAME (any case)" "0 device $D1 updated" \
    "$rc $(cat "$TMP/out")"
qrc device set PLC-A --model S7-1500
check_eq "the same again" "0 device $D1 unchanged (it had these values)" \
    "$rc $(cat "$TMP/out")"
check_eq "manual values stored" "plc-a authorized S7-1500 manual" \
    "$(sql "SELECT d.name, d.status, d.model, a.source FROM devices d
    JOIN device_attributes a ON a.device_id = d.id AND a.name = 'model'
    AND a.source = 'manual'
    WHERE d.id = $D1" | tr '|' ' ')"
qrc device set "$IP2" "$MAC2" plc-a --vendor Acme
check_eq "IP, MAC and name at once (two devices)" \
    "0 2 of 2 matching devices changed" "$rc $(cat "$TMP/out")"
check_eq "old and new values in the event" 1 "$(sql "SELECT count(*) FROM
    event_log WHERE device_id = $D2 AND code = 4000005004 AND
    description LIKE '%vendor ''Acme'' (was ''%'")"

# --- a network: every device with an IP in it, one transaction ---
NET=$(python3 -c 'import ipaddress, sys
print(ipaddress.ip_network(sys.argv[1] + "/24", strict=False))' "$IP2")
WANT=$(python3 - "$DB" "$NET" <<'EOP'
import ipaddress, sqlite3, sys
net = ipaddress.ip_network(sys.argv[2])
rows = sqlite3.connect(sys.argv[1]).execute("SELECT device_id, value FROM "
    "addresses WHERE kind IN ('ipv4', 'ipv6')")
print(len({d for d, v in rows if ipaddress.ip_address(v) in net}))
EOP
)
BEFORE=$(sql "SELECT count(*) FROM event_log WHERE code = 4000005004")
qrc --format json device set --subnet "$NET" --category plc
check_eq "device set --subnet: exit" 0 "$rc"
MATCHED=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["matched"])' "$TMP/out")
CHANGED=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["changed"])' "$TMP/out")
check_eq "--subnet $NET matches every device with an IP in it" "$WANT" \
    "$MATCHED"
check_eq "every one changed" "$WANT" "$CHANGED"
check_eq "one event per changed device" "$((BEFORE + WANT))" \
    "$(sql "SELECT count(*) FROM event_log WHERE code = 4000005004")"
check_eq "one audit record naming the count" \
    "devices in $NET|ok|$WANT of $WANT matching devices changed" \
    "$(sql "SELECT target, result, detail FROM audit_log WHERE action =
    'device set' ORDER BY id DESC LIMIT 1")"

# --- refusals change nothing ---
ROWS=$(sql "SELECT (SELECT count(*) FROM devices WHERE status =
    'authorized') || ' ' || (SELECT count(*) FROM events)")
qrc device set --subnet 198.51.100.0/24 --status authorized
check_eq "an empty network: exit 1" 1 "$rc"
grep -q "no device has an IP in 198.51.100.0/24; nothing changed" \
    "$TMP/out" || fail "message of an empty network"
qrc device set "$D1" no-such-device --status unauthorized
check_eq "an unknown device among known ones: exit 1" 1 "$rc"
grep -q "no device matches 'no-such-device'; nothing changed" \
    "$TMP/out" || fail "message of an unknown device"
check_eq "nothing changed" "$ROWS" "$(sql "SELECT (SELECT count(*) FROM
    devices WHERE status = 'authorized') || ' ' || (SELECT count(*) FROM
    events)")"
qrc device set "$D1" --status gone
check_eq "an unknown status: exit 2" 2 "$rc"
qrc device set 10.0.0.300 --status authorized
check_eq "a malformed IP: exit 2" 2 "$rc"
qrc device set --subnet 10.0.0.1/8 --status authorized
check_eq "a network with host bits: exit 2" 2 "$rc"
qrc device set "$D1" --subnet "$NET" --status authorized
check_eq "devices and --subnet: exit 2" 2 "$rc"
qrc device set "$D1" "$D2" --ip 10.200.0.1
check_eq "--ip for two devices: exit 2" 2 "$rc"
qrc device set "$D1"
check_eq "nothing to set: exit 2" 2 "$rc"
rc=0
setpriv --reuid="$(id -u "$OP")" --regid="$(id -g "$OP")" --clear-groups \
    "$QUERY" --data-dir "$DATA" device set "$D1" --status unauthorized \
    >"$TMP/out" 2>&1 || rc=$?
check_eq "an Operator is refused: exit 4" 4 "$rc"
grep -q "refused" "$TMP/out" || fail "no refusal message"
check_eq "the refusal is audited" 1 "$(sql "SELECT count(*) FROM audit_log
    WHERE os_user = '$OP' AND action = 'device set' AND
    result = 'refused'")"
check_eq "the Operator changed nothing" authorized \
    "$(sql "SELECT status FROM devices WHERE id = $D1")"

# --- an IP set by hand stays with its device ---
qrc device set "$D1" --ip 10.200.0.1
check_eq "device set --ip" 0 "$rc"
check_eq "manual IP" "$D1 manual" "$(sql "SELECT device_id, source FROM
    addresses WHERE value = '10.200.0.1'" | tr '|' ' ')"

# --- archived through set, then the agents report again ---
AGENT_DEVICES=$(sql "SELECT group_concat(device_id, ' ') FROM agents")
# shellcheck disable=SC2086 # one argument per device
qrc device set $AGENT_DEVICES --status archived
check_eq "archive the agents' devices" \
    "0 6 of 6 matching devices changed" "$rc $(cat "$TMP/out")"
check_eq "one 'device archived' each" 6 "$(sql "SELECT count(*) FROM
    event_log WHERE code = 4900005558 AND description LIKE
    '%archived by an administrator'")"
check_eq "agents report again" 0 "$(agents)"
check_eq "4000005006 for each" 6 "$(sql "SELECT count(*) FROM event_log
    WHERE code = 4000005006")"
check_eq "unauthorized again, plc-a too" "0 6" "$(sql "SELECT
    (SELECT count(*) FROM devices WHERE status = 'archived') || ' ' ||
    (SELECT count(*) FROM devices d JOIN agents a ON a.device_id = d.id
    WHERE d.status = 'unauthorized')")"
echo "all device set tests passed"
