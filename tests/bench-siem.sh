#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark of SIEM forwarding (issue 16): events/s forwarded over TCP and
# TLS to Debian's rsyslogd on 127.0.0.1, beside the ingest rate of the same
# events in the same run, first with kics-agent-sim as fast as it goes,
# then at the design load (1,000 agents, one report a minute each, sped
# up SPEEDUP times). Prints the rates, their ratio and the largest backlog
# seen; exits 1 when a connector did not catch up.
# usage: bench-siem.sh KICS_EPP_PROXY KICS_AGENT_SIM [SECONDS] [SPEEDUP]
set -eu

DAEMON=$1
SIM=$2
SECONDS_RUN=${3:-10}
SPEEDUP=${4:-10}
. "$(dirname "$0")/lib.sh"
test_dir bench-siem
RS_PID=

cleanup() {
	[ -z "$RS_PID" ] || kill -9 "$RS_PID" 2>/dev/null || true
	test_cleanup
}
trap cleanup EXIT

. "$(dirname "$0")/siem-fx.sh"

make_certs
rsyslog_conf
PORT=$(free_port tcp)
daemon_conf "$PORT" bench <<END_CONF
agents:
  max_new_per_address_per_minute: 0
connectors:
  - name: tcp
    address: 127.0.0.1
    port: $PORT_TCP
    transport: tcp
  - name: tls
    address: 127.0.0.1
    port: $PORT_TLS
    transport: tls
    ca: $TMP/certs/ca.pem
END_CONF
rsyslog_start
start_daemon

now_ms() {
	date +%s%3N
}

lines() {
	if [ -f "$RS_DIR/$1.log" ]; then
		wc -l <"$RS_DIR/$1.log"
	else
		echo 0
	fi
}

# While process $1 runs and until rsyslog got every event after id $2:
# the largest backlog (events stored, not yet received by rsyslog) of
# either connector, sampled every 0.2 s, and when each got the last one.
watch() {
	max=0 t_tcp= t_tls=
	l0_tcp=$3 l0_tls=$4
	while :; do
		running=0
		kill -0 "$1" 2>/dev/null && running=1
		done_all=1
		now=$(now_ms)
		# received first, stored after: the backlog is not understated
		got_tcp=$(($(lines tcp) - l0_tcp))
		got_tls=$(($(lines tls) - l0_tls))
		n=$(sql "SELECT COUNT(*) FROM events WHERE id > $2")
		for c in tcp tls; do
			eval "got=\$got_$c"
			b=$((n - got))
			[ "$b" -gt "$max" ] && max=$b
			[ -z "${DEBUG:-}" ] || echo "$c n=$n got=$got b=$b" >&2
			eval "t=\$t_$c"
			if [ "$running" = 0 ] && [ "$b" -le 0 ] && [ -z "$t" ]; then
				eval "t_$c=$now"
			fi
			eval "t=\$t_$c"
			[ -n "$t" ] || done_all=0
		done
		[ "$running" = 0 ] && [ "$done_all" = 1 ] && break
		sleep 0.2
	done
	echo "$max $t_tcp $t_tls" >"$TMP/watch"
}

# phase NAME SIM-ARGS...: ingest rate, forwarded rates, max backlog
# (the same agents in both phases: their tokens are kept in a file)
phase() {
	name=$1
	shift
	first=$(sql "SELECT COALESCE(MAX(id), 0) FROM events")
	l_tcp=$(lines tcp)
	l_tls=$(lines tls)
	t0=$(now_ms)
	"$SIM" --port "$PORT" --ca "$DATA/pki/ca.pem" --quiet --json \
	    --token-file "$TMP/tokens" "$@" >"$TMP/sim.json" &
	simpid=$!
	watch "$simpid" "$first" "$l_tcp" "$l_tls" &
	watchpid=$!
	wait "$simpid" || fail "kics-agent-sim: $(cat "$TMP/sim.json")"
	t1=$(now_ms)
	wait "$watchpid"
	for c in tcp tls; do
		wait_drained "$c" 120 || fail "$c: cursor did not catch up"
	done
	n=$(sql "SELECT COUNT(*) FROM events WHERE id > $first")
	python3 - "$name" "$n" "$t0" "$t1" $(cat "$TMP/watch") <<'END_PY'
import sys
name = sys.argv[1]
n, t0, t1, backlog, ttcp, ttls = map(int, sys.argv[2:])
ingest = n / ((t1 - t0) / 1000)
tcp = n / ((ttcp - t0) / 1000)
tls = n / ((ttls - t0) / 1000)
print("%s: %d events; ingest %.0f events/s; forwarded tcp %.0f/s "
      "(%.2f x ingest), tls %.0f/s (%.2f x ingest); max backlog %d events; "
      "last event received %.1f s (tcp) and %.1f s (tls) after ingest ended"
      % (name, n, ingest, tcp, tcp / ingest, tls, tls / ingest, backlog,
         (ttcp - t1) / 1000, (ttls - t1) / 1000))
END_PY
}

phase saturation --agents 50 --rate 0 --duration "$SECONDS_RUN" \
    --events-per-report 10
phase "design load x$SPEEDUP" --agents 1000 \
    --rate $((1000 * SPEEDUP / 60)) --duration "$SECONDS_RUN" \
    --events-per-report 10
received=$(received_ids "$RS_DIR/tcp.log" | wc -l)
echo "rsyslog wrote $received tcp messages"
# the exit status is checked; its "ok" line is left out of the output
stop_daemon >/dev/null
rsyslog_stop
