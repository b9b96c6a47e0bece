#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark of the request path alone (issue 17): h2load (HTTP/1.1, TLS
# 1.3, keep-alive) posts the same 10-event, 20-connection report (about
# 4.9 KB, from kics-agent-sim's generator) to kics-epp-proxy and to
# Debian's nginx with one worker, TLS 1.3, the daemon's own ECDSA P-256
# server certificate (issued by the installation's CA) and `return 200`.
# The report is a valid one of an agent whose token the daemon bound: the
# first copy is stored; every later copy is pre-scanned, decoded,
# validated, checked against the agent's token and acknowledged as the
# resend of a stored sequence (200 and the same ack, nothing written).
# Runs alternate (daemon, nginx, daemon, ...) and medians are compared:
# requests/s of each and their ratio (goal: the daemon at least 0.6 of
# nginx), and the CPU time per request of the daemon's event-loop thread
# and of nginx's worker. With BENCH_BASELINE set to another build of the
# daemon (before a change), it runs in the same rounds as a third side.
# usage: bench-reqpath.sh KICS_EPP_PROXY BENCH_REPORT_GEN MAKE_REPORT
# environment: BENCH_REQUESTS (20000), BENCH_ROUNDS (3),
#   BENCH_CONNECTIONS (10), BENCH_BASELINE (unset)
set -eu

DAEMON=$1
GEN=$2
MAKE_REPORT=$3
REQUESTS=${BENCH_REQUESTS:-20000}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-10}
BASELINE=${BENCH_BASELINE:-}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-reqpath.XXXXXX")
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

need h2load nghttp2-client
need nginx nginx
need curl curl
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# A daemon with one integration server in DIR; sets D_PORT and D_PID.
daemon_up() {	# BINARY DIR
	D_PORT=$(free_port)
	mkdir -p "$2"
	cat >"$2/kics-epp.yaml" <<END_CONF
data_dir: $2/data
user: root
integration_servers:
  - name: bench
    address: 127.0.0.1
    port: $D_PORT
event_types: ${KICS_SOURCE_ROOT:?}/conf/event-types.yaml
rules: ${KICS_SOURCE_ROOT:?}/conf/rules.yaml
END_CONF
	D_PID=$(daemon_start "$1" "$2/kics-epp.yaml" "$2.log")
	PIDS="$PIDS $D_PID"
}

# POSTs FILE once with curl; prints the status, the body goes to OUT.
post() {	# PORT CA FILE OUT
	curl -sS --cacert "$2" -o "$4" -w '%{http_code}' \
	    -H 'Content-Type: application/x-protobuf' --data-binary "@$3" \
	    "https://127.0.0.1:$1/api/v1/report"
}

# Makes the agent known to the daemon at PORT (its token bound and
# carried once) and leaves the report h2load posts in DIR/report.bin.
agent_bind() {	# PORT DIR
	ca=$2/data/pki/ca.pem
	"$GEN" --out "$2/first.bin" --seq 1 >/dev/null ||
	    fail "bench-report-gen"
	code=$(post "$1" "$ca" "$2/first.bin" "$2/ack.bin") || fail "curl"
	[ "$code" = 200 ] || fail "first report answered $code"
	token=$("$MAKE_REPORT" --decode-ack <"$2/ack.bin" |
	    sed -n 's/^agent_token=//p')
	[ -n "$token" ] || fail "no agent token in the first ack"
	set -- "$1" "$2" "$("$GEN" --out "$2/report.bin" --seq 2 \
	    --token "$token")" || fail "bench-report-gen"
	SIZE=${3#* }
	code=$(post "$1" "$ca" "$2/report.bin" "$2/ack2.bin") || fail "curl"
	[ "$code" = 200 ] || fail "report with the token answered $code"
}

# nginx with one worker in a prefix of its own; sets N_PORT, N_PID (the
# master) and N_WORKER.
nginx_up() {	# CERT KEY
	N_PORT=$(free_port)
	n=$TMP/nginx
	mkdir -p "$n/logs"
	cat >"$n/nginx.conf" <<END_CONF
worker_processes 1;
pid $n/nginx.pid;
error_log $n/logs/error.log;
daemon off;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $n/body;
	proxy_temp_path $n/proxy;
	fastcgi_temp_path $n/fastcgi;
	uwsgi_temp_path $n/uwsgi;
	scgi_temp_path $n/scgi;
	keepalive_requests 100000000;
	server {
		listen 127.0.0.1:$N_PORT ssl;
		ssl_certificate $1;
		ssl_certificate_key $2;
		ssl_protocols TLSv1.3;
		location / { return 200; }
	}
}
END_CONF
	"$NGINX" -p "$n" -e "$n/logs/error.log" -c "$n/nginx.conf" \
	    >"$TMP/nginx.log" 2>&1 &
	N_PID=$!
	PIDS="$PIDS $N_PID"
	i=0
	N_WORKER=
	until [ -n "$N_WORKER" ] && [ -n "$(ss -Hltn "sport = :$N_PORT")" ]
	do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "nginx did not start: $(cat "$n/logs/error.log")"
		kill -0 "$N_PID" 2>/dev/null || fail "nginx exited: $(cat "$n/logs/error.log")"
		N_WORKER=$(pgrep -P "$N_PID" | head -n 1 || true)
		sleep 0.05
	done
}

# One h2load run against PORT, with thread TID of PID measured; prints
# "requests/s CPU-µs-per-request".
h2run() {	# PORT PID TID FILE
	c0=$(thread_cpu_ns "$2" "$3")
	h2load --h1 -n "$REQUESTS" -c "$CONNS" -t 1 -d "$4" \
	    -H 'Content-Type: application/x-protobuf' \
	    "https://127.0.0.1:$1/api/v1/report" >"$TMP/h2load.out" 2>&1 ||
	    fail "h2load: $(tail -n 5 "$TMP/h2load.out")"
	c1=$(thread_cpu_ns "$2" "$3")
	grep -q '^TLS Protocol: TLSv1.3' "$TMP/h2load.out" ||
	    fail "not TLS 1.3: $(cat "$TMP/h2load.out")"
	ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$TMP/h2load.out")
	[ "$ok" = "$REQUESTS" ] ||
	    fail "$ok of $REQUESTS answered 2xx: $(cat "$TMP/h2load.out")"
	rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' \
	    "$TMP/h2load.out")
	echo "$rps $(awk -v a="$c0" -v b="$c1" -v n="$REQUESTS" \
	    'BEGIN { printf "%.1f", (b - a) / n / 1000 }')"
}

echo "load average before: $(loadavg)"
daemon_up "$DAEMON" "$TMP/new"
NEW_PORT=$D_PORT NEW_PID=$D_PID
agent_bind "$NEW_PORT" "$TMP/new"
if [ -n "$BASELINE" ]; then
	daemon_up "$BASELINE" "$TMP/base"
	BASE_PORT=$D_PORT BASE_PID=$D_PID
	agent_bind "$BASE_PORT" "$TMP/base"
fi
nginx_up "$TMP/new/data/pki/server-1.pem" "$TMP/new/data/pki/server-1.key"
echo "report: $SIZE bytes; $REQUESTS requests per run over $CONNS" \
    "keep-alive connections, h2load --h1 -t 1, $ROUNDS rounds"

D_RPS= D_CPU= N_RPS= N_CPU= B_RPS= B_CPU=
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	set -- $(h2run "$NEW_PORT" "$NEW_PID" "$NEW_PID" "$TMP/new/report.bin")
	D_RPS="$D_RPS $1" D_CPU="$D_CPU $2"
	echo "round $r: daemon $1 requests/s, loop $2 µs/request"
	set -- $(h2run "$N_PORT" "$N_WORKER" "$N_WORKER" "$TMP/new/report.bin")
	N_RPS="$N_RPS $1" N_CPU="$N_CPU $2"
	echo "round $r: nginx  $1 requests/s, worker $2 µs/request"
	if [ -n "$BASELINE" ]; then
		set -- $(h2run "$BASE_PORT" "$BASE_PID" "$BASE_PID" \
		    "$TMP/base/report.bin")
		B_RPS="$B_RPS $1" B_CPU="$B_CPU $2"
		echo "round $r: baseline daemon $1 requests/s, loop $2" \
		    "µs/request"
	fi
done

# every copy after the first was answered as a resend, nothing failed
grep -q 'report of agent' "$TMP/new.log" &&
    fail "reports refused: $(grep 'report of agent' "$TMP/new.log" | head -n 3)"

d_rps=$(median $D_RPS) d_cpu=$(median $D_CPU)
n_rps=$(median $N_RPS) n_cpu=$(median $N_CPU)
echo "median: daemon $d_rps requests/s, nginx $n_rps requests/s," \
    "ratio $(ratio "$d_rps" "$n_rps") (goal >= 0.6)"
echo "median CPU per request: daemon loop thread $d_cpu µs, nginx worker" \
    "$n_cpu µs, ratio $(ratio "$d_cpu" "$n_cpu")"
if [ -n "$BASELINE" ]; then
	b_rps=$(median $B_RPS) b_cpu=$(median $B_CPU)
	echo "median: baseline daemon $b_rps requests/s (ratio to nginx" \
	    "$(ratio "$b_rps" "$n_rps")), loop $b_cpu µs/request;" \
	    "this build / baseline: $(ratio "$d_rps" "$b_rps") requests/s," \
	    "$(ratio "$d_cpu" "$b_cpu") CPU"
fi
echo "load average after: $(loadavg)"
