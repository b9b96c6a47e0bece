#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark of the request path alone (issue 17): h2load (HTTP/1.1, TLS
# 1.3, keep-alive) posts the same 10-event, 20-connection report (about
# 4.9 KB, from kics-agent-sim's generator) to kics-epp-proxy and to
# Debian's nginx with one worker, TLS 1.3, the daemon's own ECDSA P-256
# server certificate (issued by the installation's CA) and `return 200`.
# The report is a valid one of an agent whose token the daemon bound,
# bearing that token: the first copy is stored; every later copy is
# pre-scanned on the loop, which reads its head (agent_id, sequence,
# agent_token) and, since the writer's answer to that sequence under
# that token is on disk, answers it alone as the resend of a stored
# sequence (200 and the same ack, nothing decoded or written:
# docs/architecture.md, "Threads of the daemon"). That is the judged side.
# A second daemon side, for context, posts the report of a second agent
# that never sends its token back: the loop cannot answer those copies,
# so the writer reads each head, looks the agent up and answers it (the
# path of copies before the loop knows them, and of agents that do not
# send their token).
# Runs alternate (daemon, nginx, daemon's writer path, ...) and medians
# are compared: requests/s of each and the ratio of the daemon to nginx
# (goal: at least 0.6), and the CPU time per request of the daemon's
# event-loop thread and of nginx's worker. For the daemon it also states
# its busiest other thread (the writer): CPU per request and, for both
# threads, the fraction of the run they were busy, so that a thread that
# bounds requests/s shows.
# With BENCH_BASELINE set to another build of the daemon (before a
# change), it runs in the same rounds as a third side.
# usage: bench-reqpath.sh KICS_EPP_PROXY BENCH_REPORT_GEN MAKE_REPORT
# environment: BENCH_REQUESTS (20000), BENCH_ROUNDS (3),
#   BENCH_CONNECTIONS (10, for both sides; the goal is judged at 10),
#   BENCH_BASELINE (unset), BENCH_PERF (unset: a directory for a perf
#   recording of each daemon run), BENCH_SYSCALLS (unset; 1: system
#   calls per request of the measured thread of every run, by perf stat,
#   read, write, epoll_wait, epoll_ctl and futex apart, printed on stderr)
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
	# a second agent, bound, whose token is never sent back
	"$GEN" --out "$2/writer.bin" --agent-index 1 --seq 1 >/dev/null ||
	    fail "bench-report-gen"
	code=$(post "$1" "$ca" "$2/writer.bin" "$2/ack3.bin") || fail "curl"
	[ "$code" = 200 ] || fail "the second agent's report answered $code"
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

# Time on a CPU so far of every thread of PID: "TID NANOSECONDS" lines.
threads_cpu() {	# PID
	for t in /proc/"$1"/task/*; do
		echo "${t##*/} $(cut -d' ' -f1 "$t/schedstat" 2>/dev/null || echo 0)"
	done
}

# The busiest thread of PID other than TID between the snapshots BEFORE
# and AFTER (files of threads_cpu()): "NANOSECONDS", 0 when there is none.
other_busiest() {	# BEFORE AFTER TID
	awk -v skip="$3" 'NR == FNR { b[$1] = $2; next }
$1 != skip { d = $2 - b[$1]; if (d > m) m = d }
END { print m + 0 }' "$1" "$2"
}

# One h2load run against PORT, with thread TID of PID measured; prints
# "requests/s CPU-µs-per-request busiest-other-thread-µs-per-request
# its-busy-fraction" (the last two: the daemon's writer, 0 for nginx).
# With BENCH_PERF set to a directory, the daemon's run is also recorded
# by perf (one file per run) for a profile of the loop thread.
h2run() {	# PORT PID TID FILE
	threads_cpu "$2" >"$TMP/cpu0"
	perf_pid=
	if [ -n "${BENCH_PERF:-}" ] && [ "$2" != "${N_WORKER:-}" ]; then
		mkdir -p "$BENCH_PERF"
		perf record -q -g -p "$2" -o "$BENCH_PERF/perf.$2.$(date +%s)" \
		    >/dev/null 2>&1 &
		perf_pid=$!
		sleep 0.5
	fi
	if [ -n "${BENCH_SYSCALLS:-}" ]; then
		ev=raw_syscalls:sys_enter
		for c in read write epoll_wait epoll_ctl futex; do
			ev=$ev,syscalls:sys_enter_$c
		done
		perf stat --per-thread -x, -o "$TMP/syscalls" -p "$2" -e "$ev" \
		    >/dev/null 2>&1 &
		stat_pid=$!
		sleep 0.3
	fi
	h2load --h1 -n "$REQUESTS" -c "$CONNS" -t 1 -d "$4" \
	    -H 'Content-Type: application/x-protobuf' \
	    "https://127.0.0.1:$1/api/v1/report" >"$TMP/h2load.out" 2>&1 ||
	    fail "h2load: $(tail -n 5 "$TMP/h2load.out")"
	threads_cpu "$2" >"$TMP/cpu1"
	if [ -n "${BENCH_SYSCALLS:-}" ]; then
		kill -INT "$stat_pid"
		wait "$stat_pid" || true
		# lines "comm-TID,count,,event,..."; only thread TID
		awk -F, -v t="$3" -v n="$REQUESTS" '$1 ~ "-" t "$" {
			sub(/.*:sys_enter_?/, "", $4)
			printf " %s %.2f", ($4 == "" ? "all" : $4), $2 / n }
END { print "" }' "$TMP/syscalls" |
		    sed "s/^/system calls per request of thread $3:/" >&2
	fi
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
	fi
	grep -q '^TLS Protocol: TLSv1.3' "$TMP/h2load.out" ||
	    fail "not TLS 1.3: $(cat "$TMP/h2load.out")"
	ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$TMP/h2load.out")
	[ "$ok" = "$REQUESTS" ] ||
	    fail "$ok of $REQUESTS answered 2xx: $(cat "$TMP/h2load.out")"
	rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' \
	    "$TMP/h2load.out")
	c0=$(awk -v t="$3" '$1 == t { print $2 }' "$TMP/cpu0")
	c1=$(awk -v t="$3" '$1 == t { print $2 }' "$TMP/cpu1")
	o=$(other_busiest "$TMP/cpu0" "$TMP/cpu1" "$3")
	echo "$rps $(awk -v a="$c0" -v b="$c1" -v o="$o" -v n="$REQUESTS" \
	    -v rps="$rps" 'BEGIN { printf "%.1f %.1f %.2f", (b - a) / n / 1000,
	    o / n / 1000, (rps > 0 ? o / 1e9 / (n / rps) : 0) }')"
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

D_RPS= D_CPU= W_CPU= W_BUSY= N_RPS= N_CPU= B_RPS= B_CPU= P_RPS= P_CPU=
P_WCPU=
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	set -- $(h2run "$NEW_PORT" "$NEW_PID" "$NEW_PID" "$TMP/new/report.bin")
	D_RPS="$D_RPS $1" D_CPU="$D_CPU $2" W_CPU="$W_CPU $3" W_BUSY="$W_BUSY $4"
	echo "round $r: daemon $1 requests/s, loop $2 µs/request (busy" \
	    "$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a * b / 1e6 }')" \
	    "of the run), writer $3 µs/request (busy $4)"
	set -- $(h2run "$N_PORT" "$N_WORKER" "$N_WORKER" "$TMP/new/report.bin")
	N_RPS="$N_RPS $1" N_CPU="$N_CPU $2"
	echo "round $r: nginx  $1 requests/s, worker $2 µs/request"
	set -- $(h2run "$NEW_PORT" "$NEW_PID" "$NEW_PID" "$TMP/new/writer.bin")
	P_RPS="$P_RPS $1" P_CPU="$P_CPU $2" P_WCPU="$P_WCPU $3"
	echo "round $r: daemon, copies the writer answers: $1 requests/s," \
	    "loop $2 µs/request, writer $3 µs/request (busy $4)"
	if [ -n "$BASELINE" ]; then
		set -- $(h2run "$BASE_PORT" "$BASE_PID" "$BASE_PID" \
		    "$TMP/base/report.bin")
		B_RPS="$B_RPS $1" B_CPU="$B_CPU $2"
		echo "round $r: baseline daemon $1 requests/s, loop $2" \
		    "µs/request, writer $3 µs/request"
	fi
done

# every copy after the first was answered as a resend, nothing failed
grep -q 'report of agent' "$TMP/new.log" &&
    fail "reports refused: $(grep 'report of agent' "$TMP/new.log" | head -n 3)"

d_rps=$(median $D_RPS) d_cpu=$(median $D_CPU)
n_rps=$(median $N_RPS) n_cpu=$(median $N_CPU)
echo "median: daemon $d_rps requests/s, nginx $n_rps requests/s," \
    "ratio $(ratio "$d_rps" "$n_rps") (goal >= 0.6)"
# both sides get the same connections (BENCH_CONNECTIONS): compare runs at
# 10 (the judged default), 50 and 100 by this line
echo "at $CONNS connections, daemon and nginx alike: daemon $d_rps," \
    "nginx $n_rps requests/s, ratio $(ratio "$d_rps" "$n_rps")"
echo "median CPU per request: daemon loop thread $d_cpu µs, nginx worker" \
    "$n_cpu µs, ratio $(ratio "$d_cpu" "$n_cpu")"
echo "median daemon writer thread: $(median $W_CPU) µs/request, busy" \
    "$(median $W_BUSY) of the run (near 1: it bounds requests/s)"
p_rps=$(median $P_RPS)
echo "median, copies the writer answers (context, not judged): daemon" \
    "$p_rps requests/s, ratio to nginx $(ratio "$p_rps" "$n_rps"); loop" \
    "$(median $P_CPU) µs/request, writer $(median $P_WCPU) µs/request"
if [ -n "$BASELINE" ]; then
	b_rps=$(median $B_RPS) b_cpu=$(median $B_CPU)
	echo "median: baseline daemon $b_rps requests/s (ratio to nginx" \
	    "$(ratio "$b_rps" "$n_rps")), loop $b_cpu µs/request;" \
	    "this build / baseline: $(ratio "$d_rps" "$b_rps") requests/s," \
	    "$(ratio "$d_cpu" "$b_cpu") CPU"
fi
echo "load average after: $(loadavg)"
