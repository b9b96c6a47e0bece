#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kics-agent-sim's own HTTPS client against the real daemon (issue 17: it
# replaced evhttp so that the load generator costs the daemon's cores
# less): keep-alive connections that the daemon closes when idle are made
# again without an error, a reply that does not come within --timeout
# fails that request and the agent goes on once the daemon answers again,
# a server certificate that the given CA did not sign is a TLS error, and
# a refused connect fails after three tries.
# usage: test-agent-sim-client.sh KICS_EPP_PROXY KICS_AGENT_SIM
set -eu

DAEMON=$1
SIM=$2

. "$(dirname "$0")/lib.sh"
test_dir test-agent-sim-client

PORT=$(free_port)
daemon_conf "$PORT" <<END_CONF
limits:
  # every report below comes after its connection was idle this long
  idle_timeout_s: 1
agents:
  max_new_per_address_per_minute: 0
END_CONF
start_daemon

sim() {	# options...: the JSON summary on stdout, warnings in TMP/sim.err
	"$SIM" --port "$PORT" --token-file "$TMP/tokens" --json "$@" \
	    2>"$TMP/sim.err"
}

json() {	# JSON KEY
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' \
	    "$1" "$2"
}

# 4 agents, one report each every 2 s: the daemon has closed every
# connection before its agent's next report
out=$(sim --ca "$DATA/pki/ca.pem" --agents 4 --rate 2 --duration 7) ||
    fail "idle-closed connections: $out $(cat "$TMP/sim.err")"
[ "$(json "$out" errors)" = 0 ] || fail "errors: $out"
[ "$(json "$out" acked)" -ge 12 ] || fail "too few acked: $out"
[ "$(json "$out" acked)" = "$(json "$out" sent)" ] ||
    fail "not every report acked: $out"
echo "ok - connections the daemon closed when idle are made again" \
    "($(json "$out" acked) reports acked, none failed)"

# the daemon stops answering for 2.5 s from 1 s into the run: reports time
# out and are sent again (1 s later, up to three tries) until it answers
sim --ca "$DATA/pki/ca.pem" --agents 2 --rate 4 --duration 7 --timeout 1 \
    >"$TMP/out.json" &
simpid=$!
sleep 1
kill -STOP "$PID"
sleep 2.5
kill -CONT "$PID"
rc=0
wait "$simpid" || rc=$?
out=$(cat "$TMP/out.json")
[ "$rc" = 1 ] || fail "exit $rc after timeouts, not 1: $out"
grep -q "timed out" "$TMP/sim.err" ||
    fail "no timeout reported: $(cat "$TMP/sim.err")"
python3 - "$out" <<'END_PY' || fail "timeouts: $out"
import json, sys
s = json.loads(sys.argv[1])
assert s["errors"] >= 1 and s["tls_errors"] == 0, s
# 2 agents, a report each every 0.5 s: the ones after the stop went through
assert s["acked"] >= 8, s
END_PY
echo "ok - a reply later than --timeout fails its request; the agents go on"

# a CA that did not sign the daemon's certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/other-ca.key" -out "$TMP/other-ca.pem" -days 1 \
    -subj /CN=other-ca 2>/dev/null || fail "cannot make a CA"
rc=0
out=$(sim --ca "$TMP/other-ca.pem" --agents 2 --reports 1) || rc=$?
[ "$rc" = 1 ] || fail "exit $rc with a foreign CA, not 1: $out"
[ "$(json "$out" tls_errors)" = 2 ] && [ "$(json "$out" acked)" = 0 ] ||
    fail "foreign CA: $out"
grep -q "certificate verify failed" "$TMP/sim.err" ||
    fail "no verify failure reported: $(cat "$TMP/sim.err")"
echo "ok - a server certificate of another CA is a TLS error"

# nobody listens: three tries, then the agent gives up
rc=0
out=$(sim --port "$(free_port)" --ca "$DATA/pki/ca.pem" --agents 1 \
    --reports 1) || rc=$?
[ "$rc" = 1 ] || fail "exit $rc when refused, not 1: $out"
[ "$(json "$out" errors)" = 3 ] && [ "$(json "$out" tls_errors)" = 0 ] ||
    fail "refused: $out"
grep -q "Connection refused" "$TMP/sim.err" ||
    fail "refusal not reported: $(cat "$TMP/sim.err")"
echo "ok - a refused connect fails after three tries"

stop_daemon
