# SPDX-License-Identifier: Apache-2.0
# Shared by test-siem.sh and bench-siem.sh (sourced): certificates made
# with openssl, Debian's rsyslogd started on 127.0.0.1 with a
# configuration of its own (no /dev/log, no system configuration), the
# kics-epp-proxy daemon, and readers of what rsyslog wrote; lib.sh has
# the rest. Needs TMP, DAEMON, DATA and LOG; sets FAIL_FILES, and RS_*,
# PORT_* and PID when their functions are called.

. "$(dirname "$0")/lib.sh"	# free_port, fail, daemon_wait_ready
FAIL_FILES=$TMP/rsyslog.err	# fail shows it after the daemon's log

# CA, the receiver's certificate for 127.0.0.1, and a CA that did not
# sign it (a connector with it must not connect).
make_certs() {
	d=$TMP/certs
	mkdir -p "$d"
	for ca in ca other-ca; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$d/$ca.key" -out "$d/$ca.pem" -days 2 \
		    -subj "/CN=kics test $ca" >/dev/null 2>&1 ||
		    fail "openssl: cannot make $ca"
	done
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/rsyslog.key" -out "$d/rsyslog.csr" \
	    -subj "/CN=127.0.0.1" >/dev/null 2>&1 || fail "openssl csr"
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
	    >"$d/ext.cnf"
	openssl x509 -req -in "$d/rsyslog.csr" -CA "$d/ca.pem" \
	    -CAkey "$d/ca.key" -CAcreateserial -days 2 -extfile "$d/ext.cnf" \
	    -out "$d/rsyslog.pem" >/dev/null 2>&1 || fail "openssl sign"
	chmod 0644 "$d"/*
}

# rsyslogd's own configuration: imudp, imtcp and imtcp over TLS (gtls),
# each into a file of its own, one line per message.
rsyslog_conf() {
	RS_DIR=$TMP/rsyslog
	mkdir -p "$RS_DIR/work"
	PORT_UDP=$(free_port udp)
	PORT_TCP=$(free_port tcp)
	PORT_TLS=$(free_port tcp)
	cat >"$RS_DIR/rsyslog.conf" <<END_RS
global(workDirectory="$RS_DIR/work" maxMessageSize="16k"
    defaultNetstreamDriverCAFile="$TMP/certs/ca.pem"
    defaultNetstreamDriverCertFile="$TMP/certs/rsyslog.pem"
    defaultNetstreamDriverKeyFile="$TMP/certs/rsyslog.key")
module(load="imudp")
module(load="imtcp" maxSessions="100")
template(name="line" type="string"
    string="%msgid% %structured-data% %msg%\n")
input(type="imudp" address="127.0.0.1" port="$PORT_UDP" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="$PORT_TCP" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="$PORT_TLS" ruleset="tls"
    streamDriver.name="gtls" streamDriver.mode="1"
    streamDriver.authMode="anon")
ruleset(name="udp") { action(type="omfile" file="$RS_DIR/udp.log"
    template="line") }
ruleset(name="tcp") { action(type="omfile" file="$RS_DIR/tcp.log"
    template="line") }
ruleset(name="tls") { action(type="omfile" file="$RS_DIR/tls.log"
    template="line") }
END_RS
}

# Starts rsyslogd in the foreground (-n) with only that configuration
# (-f) and a pid file of its own (-i); waits until its TCP ports answer.
rsyslog_start() {
	rsyslogd -n -f "$RS_DIR/rsyslog.conf" -i "$RS_DIR/rsyslog.pid" \
	    >>"$TMP/rsyslog.err" 2>&1 &
	RS_PID=$!
	i=0
	until python3 -c 'import socket, sys
for p in sys.argv[1:]:
    socket.create_connection(("127.0.0.1", int(p)), 0.2).close()' \
	    "$PORT_TCP" "$PORT_TLS" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "rsyslogd did not start"
		kill -0 "$RS_PID" 2>/dev/null || fail "rsyslogd exited"
		sleep 0.1
	done
}

rsyslog_stop() {
	[ -z "${RS_PID:-}" ] && return 0
	kill -TERM "$RS_PID" 2>/dev/null || true
	wait "$RS_PID" 2>/dev/null || true
	RS_PID=
}

daemon_start() {
	"$DAEMON" --config "$TMP/kics-epp.yaml" --foreground >>"$LOG" 2>&1 &
	PID=$!
	daemon_wait_ready "$PID" "$LOG" "${1:-1}"
}

daemon_stop() {
	kill -TERM "$PID"
	wait "$PID" || fail "daemon did not exit cleanly"
	PID=
}

sql() {
	sqlite3 -bail "$DATA/kics-epp.db" "$1"
}

# The event ids in an rsyslog file, one a line, in the order received.
received_ids() {
	sed -n 's/.*\[kics@32473 event_id="\([0-9]*\)".*/\1/p' "$1" 2>/dev/null
}

# Waits until connector NAME has no backlog (at most $2 seconds).
wait_drained() {
	i=0
	while :; do
		b=$(sql "SELECT COUNT(*) FROM events e, connectors c
		    JOIN connector_cursors k ON k.connector_id = c.id
		    WHERE c.name = '$1' AND e.id > k.event_id AND
		    e.severity >= c.min_severity AND
		    instr(c.technologies, e.technology) > 0")
		[ "$b" = 0 ] && return 0
		i=$((i + 1))
		[ $i -lt $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}
