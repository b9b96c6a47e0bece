#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Certificate life of the daemon, with the clock moved by faketime: a
# server certificate with fewer than 30 days left is renewed (and agents
# connect with it), and a CA within 30 days of its end registers a
# "certificate expiring" warning.
# Issue 11, as root (packages are made through the control socket): the
# CRL is re-signed while the daemon runs, so mTLS agents keep working past
# its first nextUpdate; a client certificate works only at the server it
# was made for; an open connection of a certificate that a new package
# revokes is closed.
# usage: test-certs.sh KICS_EPP_PROXY [KICS_QUERY KICS_AGENT_SIM]
set -eu

DAEMON=$1
QUERY=${2:-}
SIM=${3:-}

. "$(dirname "$0")/lib.sh"
test_dir test-certs

sql() {
	sqlite3 -bail "$DATA/kics-epp.db" "$1"
}

# the library itself, so that $! is the daemon and not a wrapper
FAKELIB=
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -f "$f" ] && FAKELIB=$f && break
done
if [ -z "$FAKELIB" ]; then
	echo "FAIL: libfaketime is not installed (scripts/install-deps.sh)" >&2
	exit 1
fi

PORT=$(free_port)
daemon_conf "$PORT" </dev/null

# an AddressSanitizer build wants its runtime first among the preloads;
# libfaketime only wraps time functions, so the order does not matter here
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS
READY_TIMEOUT_S=15	# the seconds a start may take in this test

run_daemon() {	# FAKETIME-OFFSET: start, wait until ready
	start_daemon env LD_PRELOAD="$FAKELIB" FAKETIME="$1"
}

run_daemon "+0d"
sleep 1
first=$(sql "SELECT cert_not_after_ms FROM integration_servers")
[ -n "$first" ] && [ "$first" -gt 0 ] || fail "no server certificate"
stop_daemon

# 810 days later (a server certificate lives 825): fewer than 30 left
run_daemon "+810d"
sleep 1
renewed=$(sql "SELECT cert_not_after_ms FROM integration_servers")
[ "$renewed" -gt $((first + 700 * 86400000)) ] ||
    fail "server certificate not renewed: $first -> $renewed"
[ "$(sql "SELECT COUNT(*) FROM certificates WHERE kind = 'server'")" = 2 ] ||
    fail "the renewed certificate is not recorded"
[ "$(sql "SELECT COUNT(*) FROM certificates WHERE kind = 'server' AND
    revoked_ms IS NULL")" = 1 ] || fail "the replaced certificate is not revoked"
old=$(sql "SELECT serial FROM certificates WHERE revoked_ms IS NOT NULL")
openssl crl -in "$DATA/pki/crl.pem" -noout -text | tr 'a-f' 'A-F' |
    tr -d ': ' | grep -q "$(echo "$old" | tr 'a-f' 'A-F')" ||
    fail "the replaced certificate $old is not in the CRL"
code=$(LD_PRELOAD=$FAKELIB FAKETIME=+810d curl -sS --cacert "$DATA/pki/ca.pem" \
    -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/api/v1/report" \
    -H 'Content-Type: application/x-protobuf' --data-binary 'x') ||
    fail "TLS with the renewed certificate failed"
[ "$code" = 400 ] || fail "renewed server answered $code"
echo "ok - a server certificate with fewer than 30 days left is renewed"
stop_daemon

# 3,640 days later: the CA (10 years) has 10 days left
run_daemon "+3640d"
i=0
until [ "$(sql "SELECT COUNT(*) FROM event_log WHERE
    category = 'certificate_expiring' AND
    description LIKE '%CA certificate%'")" = 1 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "no 'certificate expiring' event for the CA"
	sleep 0.1
done
sev=$(sql "SELECT severity FROM event_log WHERE
    category = 'certificate_expiring' AND
    description LIKE '%CA certificate%'")
[ "$sev" = warning ] || fail "CA expiry event has severity '$sev'"
grep -q "CA certificate.*expires in" "$LOG" || fail "CA expiry not logged"
echo "ok - the CA close to its end registers a warning"
stop_daemon

# --- issue 11: revocation that bites (needs root for kics-query) ---
if [ "$(id -u)" != 0 ] || [ -z "$SIM" ]; then
	echo "ok - issue 11 checks skipped (need root and kics-agent-sim)"
	exit 0
fi
rm -rf "$DATA"
PORT_B=$(free_port)
cat >"$TMP/kics-epp.yaml" <<END_CONF
data_dir: $DATA
log_level: debug
integration_servers:
  - name: a
    address: 127.0.0.1
    port: $PORT
    verify_client_cert: true
  - name: b
    address: 127.0.0.1
    port: $PORT_B
    verify_client_cert: true
event_types: ${KICS_SOURCE_ROOT:?}/conf/event-types.yaml
rules: ${KICS_SOURCE_ROOT:?}/conf/rules.yaml
END_CONF
printf 'S3cret passw0rd\n' >"$TMP/pw"

# the clock of the running daemon moves with this file
echo "+0d" >"$TMP/faketime"
start_daemon env LD_PRELOAD="$FAKELIB" FAKETIME_TIMESTAMP_FILE="$TMP/faketime" \
    FAKETIME_NO_CACHE=1

server_id() {	# NAME
	sql "SELECT id FROM integration_servers WHERE name = '$1'"
}

package() {	# SERVER-NAME FILE
	"$QUERY" --data-dir "$DATA" package create --server "$(server_id "$1")" \
	    --out "$2" --password-file "$TMP/pw" >/dev/null ||
	    fail "package create for server $1"
}

agent() {	# PORT PACKAGE: exit status of one report
	src=0
	"$SIM" --address 127.0.0.1 --port "$1" --package "$2" \
	    --password-file "$TMP/pw" --agents 1 --reports 1 --quiet \
	    --timeout 5 >"$TMP/sim.out" 2>&1 || src=$?
	echo "$src"
}

crl_next() {	# nextUpdate of crl.pem, seconds since the epoch
	date -d "$(openssl crl -in "$DATA/pki/crl.pem" -noout -nextupdate |
	    sed 's/^nextUpdate=//')" +%s
}

package a "$TMP/a1.zip"
[ "$(agent "$PORT" "$TMP/a1.zip")" = 0 ] || fail "mTLS agent refused"
next0=$(crl_next)
now=$(date +%s)
[ "$next0" -gt $((now + 29 * 86400)) ] &&
    [ "$next0" -le $((now + 30 * 86400)) ] ||
    fail "CRL nextUpdate not 30 days ahead: $next0"

# 20 days on: fewer than 15 of the CRL's 30 are left; the daemon's next
# check (its timer, due after the jump) re-signs it and reloads the TLS
echo "+20d" >"$TMP/faketime"
[ "$(agent "$PORT" "$TMP/a1.zip")" = 0 ] || fail "agent refused at +20d"
i=0
until [ "$(crl_next)" -gt "$next0" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "CRL not re-signed while running"
	sleep 0.1
done
grep -q 'CRL re-signed' "$LOG" || fail "re-signing not logged"
# 40 days on, past the first nextUpdate: agents still get in
echo "+40d" >"$TMP/faketime"
[ "$(agent "$PORT" "$TMP/a1.zip")" = 0 ] ||
    fail "mTLS agent refused after the first nextUpdate: $(cat "$TMP/sim.out")"
echo "ok - the CRL is re-signed while the daemon runs"

# a certificate of server a is refused by server b, and the other way round
package b "$TMP/b1.zip"
[ "$(agent "$PORT_B" "$TMP/b1.zip")" = 0 ] || fail "b's agent refused by b"
[ "$(agent "$PORT_B" "$TMP/a1.zip")" != 0 ] || fail "a's package works at b"
[ "$(agent "$PORT" "$TMP/b1.zip")" != 0 ] || fail "b's package works at a"
[ "$(agent "$PORT" "$TMP/a1.zip")" = 0 ] || fail "a's agent refused by a"
echo "ok - a client certificate works only at its own server"

# an open keep-alive connection with a's certificate is closed as soon as
# a new package for a revokes it
unzip -p "$TMP/a1.zip" certificates.pfx >"$TMP/a1.pfx"
openssl pkcs12 -in "$TMP/a1.pfx" -passin "file:$TMP/pw" -nodes \
    -out "$TMP/a1.pem" 2>/dev/null || fail "cannot unpack a1.pfx"
python3 - "$DATA/pki/ca.pem" "$TMP/a1.pem" "$PORT" "$TMP/open" \
    >"$TMP/keep.out" 2>&1 <<'END_PY' &
import socket, ssl, sys, time
ca, pem, port, flag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(pem)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
    server_hostname="127.0.0.1")
s.sendall(b"GET /api/v1/report HTTP/1.1\r\nHost: a\r\n\r\n")
got = s.recv(4096)
assert got.startswith(b"HTTP/1.1 405"), got
open(flag, "w").close()
s.settimeout(30)
start = time.time()
try:
    while s.recv(4096):
        pass
except (ssl.SSLError, ConnectionError):
    pass
print("closed after %.1f s, at %.3f" % (time.time() - start, time.time()))
END_PY
KEEP=$!
i=0
until [ -e "$TMP/open" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "keep-alive client did not connect: $(cat "$TMP/keep.out")"
	sleep 0.1
done
sleep 0.5
kill -0 "$KEEP" 2>/dev/null || fail "keep-alive connection closed early"
package a "$TMP/a2.zip"
made=$(date +%s.%N)
wait "$KEEP" || fail "keep-alive client: $(cat "$TMP/keep.out")"
grep -q 'closed after' "$TMP/keep.out" || fail "$(cat "$TMP/keep.out")"
# closed when the new package was activated, not by a timeout later (the
# package itself takes a while: 600,000 PBKDF2 iterations)
at=$(sed -n 's/.*, at \([0-9.]*\)$/\1/p' "$TMP/keep.out")
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) - float(sys.argv[2]) < 5 else 1)' \
    "$at" "$made" ||
    fail "connection closed only by a timeout ($(cat "$TMP/keep.out"))"
grep -q "closed 1 connection(s) of revoked client certificates" "$LOG" ||
    fail "closing not logged"
[ "$(agent "$PORT" "$TMP/a1.zip")" != 0 ] || fail "revoked package works"
[ "$(agent "$PORT" "$TMP/a2.zip")" = 0 ] || fail "new package refused"
echo "ok - an open connection of a revoked certificate is closed"

# A CRL that cannot be re-signed (here crl.pem is made a directory, so the
# new one cannot be renamed over it) is logged at every check and, with
# fewer than 7 days left, warned about: a log line and an event, at most
# once a day. The clock goes to 5 days before its nextUpdate.
next=$(crl_next)
mv "$DATA/pki/crl.pem" "$TMP/crl.pem.keep"
mkdir "$DATA/pki/crl.pem"
: >"$DATA/pki/crl.pem/x"
# Half a day off the distance first: nextUpdate and date are whole
# seconds, and a CRL re-signed (by the revocation above) in the same
# second as date left exactly 70 days, so the clock went to 5 days less
# one second before the end, and the warning said 4 days. Now the fake
# clock is 5.5 to 6.5 days before the end, less the seconds the test
# takes.
days=$(( (next - $(date +%s) - 43200) / 86400 - 5 ))
echo "+${days}d" >"$TMP/faketime"
# a report wakes the loop, which then sees its check timer due
[ "$(agent "$PORT" "$TMP/a2.zip")" = 0 ] || fail "agent refused at +${days}d"
i=0
until grep -q 'revocation list (pki/crl.pem), without which no client certificate is accepted, expires in [56] day' "$LOG"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "no warning of the CRL's end"
	sleep 0.1
done
grep -q 'cannot re-sign the CRL: .*, ignoring' "$LOG" ||
    fail "the failed re-signing is not logged"
n=$(sql "SELECT count(*) FROM events WHERE
    description LIKE 'the revocation list%expires in%'")
[ "$n" = 1 ] || fail "$n warning events of the CRL's end, not 1"
rm -r "$DATA/pki/crl.pem"
mv "$TMP/crl.pem.keep" "$DATA/pki/crl.pem"
echo "ok - a CRL near its end that cannot be re-signed is warned about"

stop_daemon
