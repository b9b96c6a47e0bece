#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kics-epp-proxy as a service (issue 10): one daemon per data directory,
# loud failures in the foreground and detached, listener states in
# server list, log files, the default configuration, --version, and
# connection counts that are never stale. The real daemon on 127.0.0.1.
# usage: test-service.sh KICS_EPP_PROXY KICS_QUERY
# Needs python3 (free ports, TLS connections) and sqlite3.
set -u

DAEMON=$1
QUERY=$2
SRC=${KICS_SOURCE_ROOT:?KICS_SOURCE_ROOT not set}

. "$(dirname "$0")/lib.sh"
test_dir test-service
PIDS=
HOLDER=

cleanup() {
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	[ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null
	test_cleanup
}
trap cleanup EXIT

check_match() {	# what pattern text
	printf '%s\n' "$3" | grep -q -- "$2" ||
	    fail "$1: '$2' not in: $3"
	echo "ok - $1"
}

q() {
	"$QUERY" --data-dir "$DATA" "$@"
}

# conf FILE PORT [PORT2] [extra lines...]: a configuration for DATA
conf() {
	f=$1 p1=$2 p2=$3
	shift 3
	{
		echo "data_dir: $DATA"
		echo "user: root"
		echo "integration_servers:"
		echo "  - name: one"
		echo "    address: 127.0.0.1"
		echo "    port: $p1"
		if [ -n "$p2" ]; then
			echo "  - name: two"
			echo "    address: 127.0.0.1"
			echo "    port: $p2"
		fi
		for l in "$@"; do
			echo "$l"
		done
	} >"$f"
}

# --- --version -------------------------------------------------------
VERSION=$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$SRC/meson.build")
check_eq "kics-epp-proxy --version" "kics-epp-proxy $VERSION" \
    "$("$DAEMON" --version)"
check_eq "kics-query --version" "kics-query $VERSION" "$("$QUERY" --version)"

# --- one daemon per data directory -----------------------------------
P1=$(free_port)
conf "$TMP/a.yaml" "$P1" ""
"$DAEMON" --config "$TMP/a.yaml" --foreground >"$TMP/a.log" 2>&1 &
A=$!
PIDS="$PIDS $A"
daemon_wait_ready "$A" "$TMP/a.log"
for mode in --foreground ""; do
	# shellcheck disable=SC2086
	out=$("$DAEMON" --config "$TMP/a.yaml" $mode 2>&1)
	rc=$?
	check_eq "second daemon ${mode:-detached}: exit 1" 1 "$rc"
	check_match "second daemon ${mode:-detached}: says who" \
	    "data directory '$DATA' in use by pid $A" "$out"
done
[ -S "$DATA/control.sock" ] || fail "the first daemon's socket is gone"
check_eq "pid file of the first daemon" "$A" "$(cat "$DATA/kics-epp.pid")"
q status >/dev/null 2>&1
check_eq "the first daemon is still managed" 0 "$?"

# --- listener states and the event of a server that cannot listen -----
# A second data directory whose server 'two' wants the port of A.
kill "$A"
wait "$A"
P2=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", '"$P2"')); s.listen()
open(sys.argv[1], "w").close()
time.sleep(600)' "$TMP/held" &
HOLDER=$!
i=0
until [ -e "$TMP/held" ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "could not hold port $P2"
	sleep 0.05
done
rm -rf "$DATA"
conf "$TMP/b.yaml" "$P1" "$P2"
"$DAEMON" --config "$TMP/b.yaml" --foreground >"$TMP/b.log" 2>&1 &
B=$!
PIDS="$PIDS $B"
daemon_wait_ready "$B" "$TMP/b.log"
states=$(q --format json server list | python3 -c 'import json, sys
print(" | ".join(s["name"] + "=" + s["state"] for s in json.load(sys.stdin)))')
check_match "server list: one listens" "one=listening" "$states"
check_match "server list: two says why not" \
    "two=error: cannot listen on 127.0.0.1:$P2: Address already in use" \
    "$states"
i=0
until [ "$(sqlite3 "$DATA/kics-epp.db" "SELECT count(*) FROM events WHERE
    category = 'integration_server_error' AND description LIKE
    '%two%$P2%'")" = 1 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "no integration_server_error event"
	sleep 0.05
done
echo "ok - event for the server that cannot listen"
q server disable 2 >/dev/null || fail "server disable"
check_match "a disabled server" "disabled" \
    "$(q --format csv server list | grep ',two,')"
kill "$B"
wait "$B"
check_match "a stopped daemon" "stopped" \
    "$(q --format csv server list 2>/dev/null | grep ',one,')"

# --- a start that cannot listen at all is loud, in both modes ----------
rm -rf "$DATA"
conf "$TMP/c.yaml" "$P2" ""
out=$("$DAEMON" --config "$TMP/c.yaml" --foreground 2>&1)
check_eq "foreground, port in use: exit 1" 1 "$?"
check_match "foreground, port in use: why" \
    "cannot listen on 127.0.0.1:$P2: Address already in use" "$out"
out=$("$DAEMON" --config "$TMP/c.yaml" 2>&1)
check_eq "detached, port in use: exit 1" 1 "$?"
check_match "detached, port in use: the child's reason" \
    "cannot listen on 127.0.0.1:$P2: Address already in use" "$out"
check_match "detached, port in use: the end" \
    "none of the 1 enabled integration server(s) could listen" "$out"
[ -e "$DATA/kics-epp.pid" ] && fail "a failed start left its pid file"
kill "$HOLDER"
HOLDER=

# --- detached and ready; log: file; SIGHUP reopens it -------------------
rm -rf "$DATA"
conf "$TMP/d.yaml" "$P1" "" "log: file" "log_file: d.log"
out=$("$DAEMON" --config "$TMP/d.yaml" 2>&1)
check_eq "detached start: exit 0" 0 "$?"
check_eq "detached start: no warning when all is well" "" \
    "$(printf '%s\n' "$out" | grep -v ' info: ')"
D=$(cat "$DATA/kics-epp.pid")
PIDS="$PIDS $D"
check_match "log: file" "ready: 1 integration server" "$(cat "$TMP/d.log")"
mv "$TMP/d.log" "$TMP/d.log.1"
kill -HUP "$D"
i=0
until [ -s "$TMP/d.log" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "SIGHUP did not open the log file again"
	sleep 0.05
done
check_match "SIGHUP: a new log file" "reload" "$(cat "$TMP/d.log")"

# --- connection counts are never stale ----------------------------------
python3 - "$P1" "$DATA/pki/ca.pem" <<'EOF' || fail "connections probe"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
conns = []
for _ in range(20):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    conns.append(ctx.wrap_socket(s, server_hostname="127.0.0.1"))
for c in conns:
    c.close()
EOF
sleep 0.3
check_eq "status: connections after every client left" 0 \
    "$(q --format json status | python3 -c 'import json, sys
print(json.load(sys.stdin)["daemon"]["connections"])')"
kill "$D"
i=0
while kill -0 "$D" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "daemon did not stop"
	sleep 0.05
done

# --- the default configuration, and built-in event types and rules -----
rm -rf "$DATA"
conf "$TMP/e.yaml" "$P1" ""
KICS_EPP_CONFIG=$TMP/e.yaml "$DAEMON" --foreground >"$TMP/e.log" 2>&1 &
E=$!
PIDS="$PIDS $E"
daemon_wait_ready "$E" "$TMP/e.log"
check_match "\$KICS_EPP_CONFIG without --config" \
    "configuration '$TMP/e.yaml'" "$(cat "$TMP/e.log")"
check_match "no rules: key: the built-in rules" "built-in rules.yaml" \
    "$(cat "$TMP/e.log")"
kill "$E"
wait "$E"
echo "test-service: all passed"
