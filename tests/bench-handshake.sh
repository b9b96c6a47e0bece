#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark of TLS 1.3 handshakes at the daemon (issue 17, item 7): the
# CPU time of the daemon's event-loop thread per handshake, for HANDSHAKES
# fresh handshakes without a client certificate (an integration server
# without verify_client_cert), the same number with the client
# certificate of a communication data package (a server with it), and as
# many resumed with that certificate's session, each connection with the
# ticket of the one before (a TLS 1.3 ticket resumes once). Each connection sends one
# request and reads the answer (405), so the server's handshake, tickets
# included, is complete. Runs alternate and medians are compared; the
# ratio of a client-certificate handshake to a plain one is printed. With
# BENCH_BASELINE set to another build of the daemon (before a change), it
# runs in the same rounds and the ratios this build / baseline follow.
# Needs root (the package is made through the control socket).
# usage: bench-handshake.sh KICS_EPP_PROXY KICS_QUERY
# environment: BENCH_HANDSHAKES (1000), BENCH_ROUNDS (3), BENCH_BASELINE
set -eu

DAEMON=$1
QUERY=$2
HANDSHAKES=${BENCH_HANDSHAKES:-1000}
ROUNDS=${BENCH_ROUNDS:-3}
BASELINE=${BENCH_BASELINE:-}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-handshake.XXXXXX")
PIDS=

cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null || true
	done
	sleep 0.2
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

. "$(dirname "$0")/bench-tls-fx.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (packages are made through the control socket)"
	exit 77
fi
need openssl openssl

# A daemon with a plain and a client-certificate server in DIR, and the
# client certificate of a package of the latter in DIR/client.pem; sets
# D_PID, D_PLAIN and D_MTLS (ports).
daemon_up() {	# BINARY DIR
	D_PLAIN=$(free_port)
	D_MTLS=$(free_port)
	mkdir -p "$2"
	cat >"$2/kics-epp.yaml" <<END_CONF
data_dir: $2/data
user: root
integration_servers:
  - name: plain
    address: 127.0.0.1
    port: $D_PLAIN
  - name: mtls
    address: 127.0.0.1
    port: $D_MTLS
    verify_client_cert: true
event_types: ${KICS_SOURCE_ROOT:?}/conf/event-types.yaml
rules: ${KICS_SOURCE_ROOT:?}/conf/rules.yaml
END_CONF
	D_PID=$(daemon_start "$1" "$2/kics-epp.yaml" "$2.log")
	PIDS="$PIDS $D_PID"
	printf 'bench passw0rd\n' >"$2/pw"
	id=$(sqlite3 "$2/data/kics-epp.db" \
	    "SELECT id FROM integration_servers WHERE name = 'mtls'")
	"$QUERY" --data-dir "$2/data" package create --server "$id" \
	    --out "$2/pkg.zip" --password-file "$2/pw" >/dev/null ||
	    fail "package create"
	unzip -p "$2/pkg.zip" certificates.pfx >"$2/client.pfx"
	openssl pkcs12 -in "$2/client.pfx" -passin "file:$2/pw" -nodes \
	    -out "$2/client.pem" 2>/dev/null || fail "cannot unpack the package"
}

cat >"$TMP/handshakes.py" <<'END_PY'
# N handshakes to 127.0.0.1:PORT (TLS 1.3 only): each sends one request
# and reads the answer to its end; "fresh" makes each a full handshake,
# "resumed" offers each connection the session (ticket) of the one before,
# as an agent does.
import os, ssl, sys
sys.path.insert(0, os.path.join(os.environ["KICS_SOURCE_ROOT"], "tests"))
import daemon_fx
port, n, ca, cert, mode = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3],
    sys.argv[4], sys.argv[5])
ctx = ssl.create_default_context(cafile=ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.check_hostname = False
if cert != "-":
    ctx.load_cert_chain(cert)
session = None
resumed = 0
for i in range(n + (1 if mode == "resumed" else 0)):
    got, reused, ticket = daemon_fx.tls_get(ctx, port, session)
    assert got.startswith(b"HTTP/1.1 405"), got[:80]
    if mode == "resumed":
        if session is not None:
            resumed += reused
        # the ticket of this connection: each is good for one resumption
        session = ticket
if mode == "resumed" and resumed != n:
    sys.exit("only %d of %d handshakes resumed" % (resumed, n))
END_PY

# HANDSHAKES handshakes of MODE at PORT; prints loop-thread µs each.
shake() {	# PID PORT CA CERT MODE
	c0=$(thread_cpu_ns "$1" "$1")
	python3 "$TMP/handshakes.py" "$2" "$HANDSHAKES" "$3" "$4" "$5" \
	    >"$TMP/client.out" 2>&1 || fail "client: $(tail -n 3 "$TMP/client.out")"
	c1=$(thread_cpu_ns "$1" "$1")
	awk -v a="$c0" -v b="$c1" -v n="$HANDSHAKES" \
	    'BEGIN { printf "%.1f\n", (b - a) / n / 1000 }'
}

# One round of the three kinds against the daemon of DIR; appends the
# figures to the variables PREFIX_plain, PREFIX_cert and PREFIX_resumed.
round() {	# PREFIX PID PLAIN-PORT MTLS-PORT DIR LABEL
	ca=$5/data/pki/ca.pem
	p=$(shake "$2" "$3" "$ca" - fresh)
	c=$(shake "$2" "$4" "$ca" "$5/client.pem" fresh)
	s=$(shake "$2" "$4" "$ca" "$5/client.pem" resumed)
	eval "$1_plain=\"\${$1_plain:-} $p\" $1_cert=\"\${$1_cert:-} $c\"" \
	    "$1_resumed=\"\${$1_resumed:-} $s\""
	echo "round $r, $6: plain $p µs, client certificate $c µs," \
	    "resumed with it $s µs per handshake"
}

echo "load average before: $(loadavg)"
daemon_up "$DAEMON" "$TMP/new"
NEW_PID=$D_PID NEW_PLAIN=$D_PLAIN NEW_MTLS=$D_MTLS
if [ -n "$BASELINE" ]; then
	daemon_up "$BASELINE" "$TMP/base"
	BASE_PID=$D_PID BASE_PLAIN=$D_PLAIN BASE_MTLS=$D_MTLS
fi
echo "$HANDSHAKES handshakes of each kind per round, TLS 1.3, $ROUNDS rounds;" \
    "CPU time of the daemon's loop thread"
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	round new "$NEW_PID" "$NEW_PLAIN" "$NEW_MTLS" "$TMP/new" "this build"
	[ -z "$BASELINE" ] || round base "$BASE_PID" "$BASE_PLAIN" \
	    "$BASE_MTLS" "$TMP/base" "baseline"
done

# shellcheck disable=SC2154,SC2086
{
	p=$(median $new_plain) c=$(median $new_cert) s=$(median $new_resumed)
}
echo "median: plain $p µs, client certificate $c µs (ratio $(ratio "$c" "$p")" \
    "to plain), resumed with it $s µs"
if [ -n "$BASELINE" ]; then
	# shellcheck disable=SC2154,SC2086
	{
		bp=$(median $base_plain) bc=$(median $base_cert)
		bs=$(median $base_resumed)
	}
	echo "median baseline: plain $bp µs, client certificate $bc µs" \
	    "(ratio $(ratio "$bc" "$bp") to plain), resumed with it $bs µs"
	echo "this build / baseline: plain $(ratio "$p" "$bp"), client" \
	    "certificate $(ratio "$c" "$bc"), resumed $(ratio "$s" "$bs")"
fi
echo "load average after: $(loadavg)"
