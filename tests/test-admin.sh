#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of administration (issue 5): the real daemon, its control
# socket, kics-query as root, as an Operator and as an unmapped user (made
# with useradd, run with setpriv), communication data packages used by
# kics-agent-sim, and manual device values.
# usage: test-admin.sh KICS_EPP_PROXY KICS_QUERY KICS_AGENT_SIM
# Needs root, setpriv (util-linux), useradd and userdel (passwd), unzip,
# openssl, sqlite3 and python3. Removes at exit the users and group it
# created, never ones that existed before.
set -eu

DAEMON=$1
QUERY=$2
SIM=$3

if [ "$(id -u)" != 0 ]; then
	echo "test-admin: needs root (useradd, setpriv); skipped"
	exit 77
fi

. "$(dirname "$0")/lib.sh"
test_dir test-admin
chmod 0755 "$TMP"
# names of this run only: runs of other build trees may overlap with it
GROUP=kics-t$$
OP=kics-t$$-op
NOBODY=kics-t$$-nob
MADE_GROUP=		# set when this run created $GROUP
MADE_USERS=		# the users this run created
AGENT_ADDR=127.0.0.1	# where agent() connects

cleanup() {
	daemon_kill
	# only what this run created: an earlier setup stays as it was
	for u in $MADE_USERS; do
		userdel "$u" || echo "test-admin: cannot remove user $u" >&2
	done
	if [ -n "$MADE_GROUP" ]; then
		groupdel "$GROUP" ||
		    echo "test-admin: cannot remove group $GROUP" >&2
	fi
	test_cleanup
}
trap cleanup EXIT

# Users and groups of earlier runs that were killed before their EXIT trap
# ran (sh runs a trap only once the foreground command returns, and meson
# kills a test at its timeout): those whose run (pid) is gone are removed.
stale_remove() {
	for name in $(cut -d: -f1 /etc/passwd | grep '^kics-t[0-9]*-'); do
		pid=${name#kics-t}
		pid=${pid%%-*}
		[ -d "/proc/$pid" ] || userdel "$name" ||
		    echo "test-admin: cannot remove stale user $name" >&2
	done
	for name in $(cut -d: -f1 /etc/group | grep '^kics-t[0-9]*$'); do
		[ -d "/proc/${name#kics-t}" ] || groupdel "$name" ||
		    echo "test-admin: cannot remove stale group $name" >&2
	done
}
stale_remove

q() {
	"$QUERY" --data-dir "$DATA" "$@"
}

# as USER kics-query ARGS...: exit status in $rc, output in $TMP/out
as() {
	u=$1
	shift
	rc=0
	setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" \
	    --clear-groups "$QUERY" --data-dir "$DATA" "$@" \
	    >"$TMP/out" 2>&1 || rc=$?
}

# status of "kics-query ARGS" as root, output in $TMP/out
qrc() {
	rc=0
	q "$@" >"$TMP/out" 2>&1 || rc=$?
}

sql() {
	sqlite3 -bail "$DB" "$1"
}

# agent PORT PACKAGE [sim args]: exit status of one agent's report
agent() {
	port=$1
	pkg=$2
	shift 2
	src=0
	"$SIM" --address "$AGENT_ADDR" --port "$port" --package "$pkg" \
	    --password-file "$TMP/pw" --agents 1 --reports 1 --quiet \
	    --timeout 5 "$@" >"$TMP/sim.out" 2>&1 || src=$?
	echo "$src"
}

# whether the CRL lists the serial $1 (lowercase hex, as in the database)
crl_lists() {
	want=$(printf '%s\n' "$1" | tr a-f A-F | sed 's/^0*//')
	openssl crl -in "$DATA/pki/crl.pem" -noout -text >"$TMP/crl.txt" ||
	    fail "openssl crl cannot read the CRL"
	sed -n 's/^ *Serial Number: *//p' "$TMP/crl.txt" | tr a-f A-F |
	    sed 's/^0*//' | grep -qx "$want"
}

server_serial() {
	sql "SELECT cert_serial FROM integration_servers WHERE id = $1"
}

if ! getent group "$GROUP" >/dev/null; then
	groupadd "$GROUP"
	MADE_GROUP=1
fi
for u in "$OP" "$NOBODY"; do
	if ! id "$u" >/dev/null 2>&1; then
		useradd -M -N -g "$GROUP" -s /usr/sbin/nologin "$u"
		MADE_USERS="$MADE_USERS $u"
	fi
done

P0=$(free_port)
daemon_conf "$P0" base <<EOC
log_level: debug
agents:
  report_interval_s: 30
  timeout_s: 60
EOC
mkdir -m 0755 "$DATA"
start_daemon
check_eq "control socket mode" "660" "$(stat -c %a "$DATA/control.sock")"
# as systemd's SocketGroup= would: the group of those who may ask
chgrp "$GROUP" "$DATA/control.sock"

# --- add a server and make packages ---
P1=$(free_port)
printf 'S3cret passw0rd\n' >"$TMP/pw"
q --format json server add --address 127.0.0.1 --port "$P1" \
    --verify-client --name t1 >"$TMP/add.json" || fail "server add"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' \
    "$TMP/add.json")
check_eq "server add listed" "t1 1 1" "$(sql "SELECT name, enabled,
    verify_client_cert FROM integration_servers WHERE id = $ID" |
    tr '|' ' ')"
q package create --server "$ID" --out "$TMP/pkg1.zip" \
    --password-file "$TMP/pw" >/dev/null || fail "package create"
check_eq "package mode" "600" "$(stat -c %a "$TMP/pkg1.zip")"
check_eq "package entries" "certificates.pfx metadata.json" \
    "$(unzip -Z1 "$TMP/pkg1.zip" | sort | tr '\n' ' ' | sed 's/ $//')"
unzip -p "$TMP/pkg1.zip" metadata.json >"$TMP/meta.json"
python3 - "$TMP/meta.json" "$ID" "$P1" "$DB" <<'EOP' || fail "metadata.json"
import json, sqlite3, sys
m = json.load(open(sys.argv[1]))
assert sorted(m) == sorted(["package_id", "server_id", "address", "port",
    "transport", "verify_client_cert", "server_cert_sha256",
    "created_ms", "udp_port", "udp_encryption"]), m
assert m["server_id"] == int(sys.argv[2]) and m["port"] == int(sys.argv[3])
assert m["address"] == "127.0.0.1" and m["transport"] == "https"
assert m["verify_client_cert"] is True
assert m["udp_port"] == m["port"] and m["udp_encryption"] is True
db = sqlite3.connect(sys.argv[4])
row = db.execute("SELECT cert_sha256, package_id, package_created_ms FROM "
    "integration_servers WHERE id = ?", (m["server_id"],)).fetchone()
assert row == (m["server_cert_sha256"], m["package_id"], m["created_ms"]), row
EOP
echo "ok - metadata.json keys and values match the server row"
unzip -p "$TMP/pkg1.zip" certificates.pfx >"$TMP/p1.pfx"
openssl pkcs12 -info -noout -passin "file:$TMP/pw" -in "$TMP/p1.pfx" \
    >/dev/null 2>&1 || fail "openssl pkcs12 cannot open the package"
echo "ok - the PKCS#12 opens with the password"
printf 'wrong\n' >"$TMP/pw.bad"
if openssl pkcs12 -info -noout -passin "file:$TMP/pw.bad" -in "$TMP/p1.pfx" \
    >/dev/null 2>&1; then
	fail "the PKCS#12 opens with a wrong password"
fi
grep -q 'S3cret' "$LOG" "$DB" && fail "the password reached the log or db"
echo "ok - the password is in neither the log nor the database"
check_eq "agent with package 1" 0 "$(agent "$P1" "$TMP/pkg1.zip")"

q package create --server "$ID" --out "$TMP/pkg2.zip" \
    --password-file "$TMP/pw" >/dev/null || fail "second package"
check_eq "old package refused after a new one" 1 \
    "$(agent "$P1" "$TMP/pkg1.zip")"
check_eq "new package accepted" 0 "$(agent "$P1" "$TMP/pkg2.zip")"
check_eq "client certificates: one revoked, one valid" "1 1" \
    "$(sql "SELECT count(revoked_ms), count(*) - count(revoked_ms) FROM
    certificates WHERE server_id = $ID AND kind = 'client'" | tr '|' ' ')"

: >"$TMP/pw.empty"
qrc package create --server "$ID" --out "$TMP/x.zip" \
    --password-file "$TMP/pw.empty"
check_eq "empty password file refused" 2 "$rc"
[ ! -e "$TMP/x.zip" ] || fail "a package was written without password"
printf 'short\n' >"$TMP/pw.short"
qrc package create --server "$ID" --out "$TMP/short.zip" \
    --password-file "$TMP/pw.short"
check_eq "a 5-character password: usage error" 2 "$rc"
grep -q 'at least 12' "$TMP/out" || fail "$(cat "$TMP/out")"
[ -z "$(ls -A "$TMP" | grep 'short\.zip')" ] ||
    fail "files left by the refused package: $(ls -A "$TMP")"

# --- issue 10: a package create that fails changes nothing agents see ---
client_certs() {	# "valid revoked pending" client certificates of $ID
	sql "SELECT count(*) - count(revoked_ms), count(revoked_ms),
	    coalesce(sum(pending), 0) FROM certificates WHERE server_id = $ID
	    AND kind = 'client'" | tr '|' ' '
}
failed_audits() {	# failed audit records of package create so far
	sql "SELECT count(*) FROM audit_log WHERE action = 'package create'
	    AND result = 'failed'"
}
check_eq "package 2 works before the failures" 0 \
    "$(agent "$P1" "$TMP/pkg2.zip")"
CUR=$(sql "SELECT package_id FROM integration_servers WHERE id = $ID")
CERTS=$(client_certs)
AUDITS=$(failed_audits)

NODIR=/nonexistent-dir-$$/p.zip
qrc package create --server "$ID" --out "$NODIR" --password-file "$TMP/pw"
check_eq "--out in a missing directory: exit 1" 1 "$rc"
grep -q "'$NODIR'" "$TMP/out" || fail "no path in: $(cat "$TMP/out")"
check_eq "missing directory: the old package still works" 0 \
    "$(agent "$P1" "$TMP/pkg2.zip")"
check_eq "missing directory: no certificate made" "$CERTS" "$(client_certs)"
check_eq "missing directory: audited as failed, naming the path" 1 \
    "$(sql "SELECT count(*) FROM audit_log WHERE action = 'package create'
    AND result = 'failed' AND detail LIKE '%''$NODIR''%'")"


mkdir "$TMP/adir"
qrc package create --server "$ID" --out "$TMP/adir" --password-file "$TMP/pw"
check_eq "--out naming a directory: exit 1" 1 "$rc"
grep -q "'$TMP/adir'" "$TMP/out" || fail "$(cat "$TMP/out")"
check_eq "--out a directory: no certificate made" "$CERTS" "$(client_certs)"

# The file cannot be written once the daemon has made the package: a
# file size limit of 512 bytes (the zip is several KiB) makes write()
# fail with EFBIG, SIGXFSZ being ignored.
rc=0
(trap '' XFSZ; ulimit -f 1; exec "$QUERY" --data-dir "$DATA" package create \
    --server "$ID" --out "$TMP/big.zip" --password-file "$TMP/pw") \
    >"$TMP/out" 2>&1 || rc=$?
check_eq "write failure: exit 1" 1 "$rc"
grep -q "'$TMP/big.zip'" "$TMP/out" || fail "$(cat "$TMP/out")"
grep -q 'discarded' "$TMP/out" || fail "$(cat "$TMP/out")"
[ -z "$(ls -A "$TMP" | grep 'big\.zip')" ] ||
    fail "files left by the failed write: $(ls -A "$TMP")"
check_eq "write failure: the old package still works" 0 \
    "$(agent "$P1" "$TMP/pkg2.zip")"
check_eq "write failure: the server's package unchanged" "$CUR" \
    "$(sql "SELECT package_id FROM integration_servers WHERE id = $ID")"
DISCARDED=$(sql "SELECT serial FROM certificates WHERE server_id = $ID AND
    kind = 'client' AND pending = 1 AND revoked_ms IS NOT NULL")
[ -n "$DISCARDED" ] || fail "no discarded certificate recorded"
crl_lists "$DISCARDED" ||
    fail "the CRL does not list the discarded certificate $DISCARDED"
echo "ok - the CRL lists the discarded certificate"
check_eq "write failure: only the old certificate valid" "1" \
    "$(client_certs | cut -d' ' -f1)"
check_eq "failures audited" "$((AUDITS + 3))" "$(failed_audits)"
check_eq "the discard's audit names the file" 1 "$(sql "SELECT count(*)
    FROM audit_log WHERE action = 'package create' AND result = 'failed'
    AND detail LIKE '%''$TMP/big.zip''%discarded%'")"

q package create --server "$ID" --out "$TMP/pkg3.zip" \
    --password-file "$TMP/pw" >"$TMP/out" || fail "package 3"
grep -q "'$TMP/pkg3.zip' written" "$TMP/out" || fail "$(cat "$TMP/out")"
check_eq "package 3 mode" "600" "$(stat -c %a "$TMP/pkg3.zip")"
check_eq "after package 3 the old package is refused" 1 \
    "$(agent "$P1" "$TMP/pkg2.zip")"
check_eq "package 3 accepted" 0 "$(agent "$P1" "$TMP/pkg3.zip")"
PKG3=$(unzip -p "$TMP/pkg3.zip" metadata.json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["package_id"])')
check_eq "package 3 is the server's" "$PKG3" \
    "$(sql "SELECT package_id FROM integration_servers WHERE id = $ID")"
check_eq "package 3: made, then activated, both audited ok" \
    "made is now the package" "$(sql "SELECT group_concat(CASE WHEN
    detail LIKE '%pending until it is written' THEN 'made' WHEN detail
    LIKE '%is now the package of integration server $ID; 1 earlier%'
    THEN 'is now the package' END, ' ') FROM (SELECT detail FROM audit_log
    WHERE action = 'package create' AND result = 'ok' AND target =
    'server $ID package $PKG3' ORDER BY id)")"
cp "$TMP/pkg3.zip" "$TMP/pkg2.zip"

# --- refusals ---
qrc server add --address 127.0.0.1 --port "$P0"
check_eq "duplicate address:port refused" 1 "$rc"
grep -q 'already integration server' "$TMP/out" || fail "$(cat "$TMP/out")"
python3 -c 'import socket,time; s=socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(1); print(s.getsockname()[1], flush=True)
time.sleep(30)' >"$TMP/busy" &
BUSY=$!
while [ ! -s "$TMP/busy" ]; do sleep 0.05; done
qrc server add --address 127.0.0.1 --port "$(cat "$TMP/busy")"
kill "$BUSY" 2>/dev/null || true
check_eq "port in use refused" 1 "$rc"
grep -q 'in use' "$TMP/out" || fail "$(cat "$TMP/out")"
qrc server add --address 192.0.2.77 --port "$P1"
check_eq "address not on this host refused" 1 "$rc"
grep -q 'not on this host' "$TMP/out" || fail "$(cat "$TMP/out")"
qrc server enable 9999
check_eq "unknown id refused" 1 "$rc"

# --- disable, enable, edit ---
q server disable "$ID" >/dev/null || fail "server disable"
check_eq "disabled server refuses" 1 "$(agent "$P1" "$TMP/pkg2.zip")"
q server enable "$ID" >/dev/null || fail "server enable"
check_eq "enabled server accepts" 0 "$(agent "$P1" "$TMP/pkg2.zip")"
P2=$(free_port)
q server edit "$ID" --port "$P2" >/dev/null || fail "server edit"
check_eq "edited server on its new port" 0 "$(agent "$P2" "$TMP/pkg2.zip")"
check_eq "nothing on the old port" 1 "$(agent "$P1" "$TMP/pkg2.zip")"

# --- an address change revokes the earlier server certificate ---
check_eq "a port change revokes no server certificate" 0 "$(sql "SELECT
    count(revoked_ms) FROM certificates WHERE server_id = $ID AND
    kind = 'server'")"
OLD=$(server_serial "$ID")
[ -n "$OLD" ] || fail "no server certificate recorded"
crl_lists "$OLD" && fail "the CRL lists $OLD before the change"
q server edit "$ID" --address 127.0.0.2 >/dev/null ||
    fail "server edit --address"
NEW=$(server_serial "$ID")
[ -n "$NEW" ] && [ "$NEW" != "$OLD" ] ||
    fail "no new certificate for the new address ($OLD, '$NEW')"
check_eq "old server certificate revoked in the database" 1 "$(sql "SELECT
    count(*) FROM certificates WHERE serial = '$OLD' AND kind = 'server'
    AND server_id = $ID AND revoked_ms IS NOT NULL")"
check_eq "new server certificate not revoked" 1 "$(sql "SELECT count(*)
    FROM certificates WHERE serial = '$NEW' AND kind = 'server' AND
    server_id = $ID AND revoked_ms IS NULL")"
crl_lists "$OLD" || fail "the CRL does not list the old certificate $OLD"
echo "ok - the CRL lists the old server certificate"
crl_lists "$NEW" && fail "the CRL lists the new certificate $NEW"
AGENT_ADDR=127.0.0.2
check_eq "agent on the new address (certificate names it)" 0 \
    "$(agent "$P2" "$TMP/pkg2.zip")"
AGENT_ADDR=127.0.0.1
check_eq "nothing on the old address" 1 "$(agent "$P2" "$TMP/pkg2.zip")"
# a disabled server: revoked at the change, a new one at enable
q server disable "$ID" >/dev/null || fail "server disable"
q server edit "$ID" --address 127.0.0.1 >/dev/null ||
    fail "server edit --address of a disabled server"
check_eq "disabled server: no valid server certificate left" 0 "$(sql "SELECT
    count(*) FROM certificates WHERE server_id = $ID AND kind = 'server'
    AND revoked_ms IS NULL")"
crl_lists "$NEW" || fail "the CRL does not list $NEW"
echo "ok - the CRL lists the certificate of the disabled server"
q server enable "$ID" >/dev/null || fail "server enable"
LAST=$(server_serial "$ID")
check_eq "after enable: only the new certificate is valid" "$LAST" \
    "$(sql "SELECT group_concat(serial) FROM certificates WHERE
    server_id = $ID AND kind = 'server' AND revoked_ms IS NULL")"
crl_lists "$LAST" && fail "the CRL lists the current certificate $LAST"
check_eq "agent back on 127.0.0.1" 0 "$(agent "$P2" "$TMP/pkg2.zip")"

# --- roles ---
qrc user add "$OP" --role operator
check_eq "user add" 0 "$rc"
qrc user add no-such-user-kics --role operator
check_eq "user add of a non-existent OS user" 1 "$rc"
as "$OP" server list
check_eq "operator may list" 0 "$rc"
as "$OP" server add --address 127.0.0.1 --port "$(free_port)"
check_eq "operator may not add" 4 "$rc"
grep -q 'refused' "$TMP/out" || fail "no refusal line: $(cat "$TMP/out")"
check_eq "audit row of the refusal" 1 "$(sql "SELECT count(*) FROM audit_log
    WHERE os_user = '$OP' AND action = 'server add' AND
    result = 'refused' AND role = 'operator'")"
as "$NOBODY" server list
check_eq "unmapped user refused" 4 "$rc"
as "$NOBODY" server disable "$ID"
check_eq "unmapped user may not disable" 4 "$rc"
check_eq "audit rows of the unmapped user" 2 "$(sql "SELECT count(*) FROM
    audit_log WHERE os_user = '$NOBODY' AND role = 'none'")"
q audit --limit 3 >/dev/null || fail "audit"

# --- manual device values win over EPP ---
DEV=$(sql "SELECT device_id FROM agents ORDER BY id LIMIT 1")
[ -n "$DEV" ] || fail "no agent device"
q device set "$DEV" --model Manual-Model-9 --status authorized >/dev/null ||
    fail "device set"
sleep 1.1
check_eq "report after device set" 0 "$(agent "$P2" "$TMP/pkg2.zip" \
    --host-every 1)"
check_eq "manual model survives the report" "Manual-Model-9 authorized" \
    "$(sql "SELECT model, status FROM devices WHERE id = $DEV" | tr '|' ' ')"
check_eq "an EPP model is stored beside it" 1 "$(sql "SELECT count(*) FROM
    device_attributes WHERE device_id = $DEV AND name = 'model' AND
    source = 'epp' AND value <> 'Manual-Model-9'")"

# --- status, rules reload, remove ---
q --format json status >"$TMP/status.json" 2>/dev/null || fail "status"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert len(d["daemon"]["listeners"]) == 2, d' "$TMP/status.json" ||
    fail "live status"
qrc rules reload
check_eq "rules reload" 0 "$rc"
grep -q 'rule(s) loaded' "$TMP/out" || fail "$(cat "$TMP/out")"
q server remove "$ID" >/dev/null || fail "server remove"
check_eq "removed server refuses" 1 "$(agent "$P2" "$TMP/pkg2.zip")"
check_eq "removed server not listed" 0 "$(q --format json server list |
    python3 -c 'import json,sys
print(sum(1 for s in json.load(sys.stdin) if s["id"] == '"$ID"'))')"
check_eq "server events" 1 "$(sql "SELECT count(*) > 0 FROM events WHERE
    category = 'integration_server_removed'")"

stop_daemon
qrc server list
check_eq "lookup falls back to the database" 0 "$rc"
qrc server enable 1
check_eq "daemon down: exit 3" 3 "$rc"
echo "test-admin: all passed"
