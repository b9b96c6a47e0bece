#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kics-agent-sim --open-loop against the real daemon (issue 17): the daemon
# is stopped (SIGSTOP) for a while in the middle of a paced run. Open loop,
# the agents keep their schedule: every slot of the run is sent or counted
# as unsent, and the reports that waited count the wait in their latency.
# Closed loop, the schedule slips instead and the wait is hidden. Also the
# usage errors of --open-loop and --warmup.
# usage: test-agent-sim-loop.sh KICS_EPP_PROXY KICS_AGENT_SIM
set -eu

DAEMON=$1
SIM=$2
AGENTS=20
RATE=40		# reports/s: one report per agent every 0.5 s
DURATION=6
WARMUP=1
PAUSE=1.5	# s the daemon is stopped, from 2 s into the run

. "$(dirname "$0")/lib.sh"
test_dir test-agent-sim-loop

PORT=$(free_port)
daemon_conf "$PORT" <<END_CONF
agents:
  max_new_per_address_per_minute: 0
END_CONF
start_daemon

sim() {
	"$SIM" --port "$PORT" --ca "$DATA/pki/ca.pem" --agents "$AGENTS" \
	    --token-file "$TMP/tokens" --quiet --json "$@"
}

# usage errors
for args in "--open-loop" "--open-loop --rate 10 --transport udp" \
    "--rate 10 --warmup 5 --duration 5" "--reports 3 --warmup 1"; do
	set +e
	# shellcheck disable=SC2086
	"$SIM" $args >/dev/null 2>&1
	rc=$?
	set -e
	[ "$rc" = 2 ] || fail "kics-agent-sim $args: exit $rc, not 2"
done
echo "ok - --open-loop without --rate, over UDP, and --warmup not shorter" \
    "than the run are usage errors"

sim --reports 1 >/dev/null || fail "registration"

# Runs the simulator with the daemon stopped for PAUSE s from 2 s in.
paused_run() {
	sim --rate "$RATE" --warmup "$WARMUP" --duration "$DURATION" "$@" \
	    >"$TMP/out.json" &
	simpid=$!
	sleep 2
	kill -STOP "$PID"
	sleep "$PAUSE"
	kill -CONT "$PID"
	wait "$simpid" || fail "kics-agent-sim: $(cat "$TMP/out.json")"
	cat "$TMP/out.json"
}

open=$(paused_run --open-loop)
python3 - "$open" "$RATE" "$DURATION" "$WARMUP" "$AGENTS" "$PAUSE" <<'END_PY' ||
import json, sys
s = json.loads(sys.argv[1])
rate, duration, warmup, agents, pause = map(float, sys.argv[2:])
slots = rate * duration
done = s["acked"] + s["warmup_acked"] + s["unsent"]
assert s["open_loop"] is True and s["offered_per_s"] == rate, s
assert s["errors"] == 0, s
# every slot of the run was sent and acked, or counted as unsent; the
# agents whose last slot fell just before the end may differ by one each
assert abs(done - slots) <= agents, (done, slots, s)
# the warmup holds the slots of its first second
assert abs(s["warmup_acked"] - rate * warmup) <= agents, s
# the reports due while the daemon was stopped count the wait
assert s["latency_ms"]["max"] >= 0.8 * pause * 1000, s
# the timeline places the stop: by the second they were due, the acks
# add up; all of the second in which the daemon was stopped (due 1-2 s
# into the measured part) took longer than 250 ms, none of the last
t = s["timeline"]
assert sum(x[0] for x in t) == s["acked"], t
assert duration - warmup <= len(t) <= duration - warmup + 1, t
assert t[1][0] > 0 and t[1][1] == t[1][0] and t[1][2] >= 500, t
assert t[-1][1] == 0, t
print("ok - open loop: %d slots, %d acked after a warmup of %d, %d unsent; "
    "max latency %.0f ms after a %.1f s stop, slow acks by second %s" % (
    slots, s["acked"], s["warmup_acked"], s["unsent"],
    s["latency_ms"]["max"], pause, [x[1] for x in t]))
END_PY
    fail "open loop: $open"

closed=$(paused_run)
python3 - "$closed" "$open" <<'END_PY' || fail "closed loop: $closed"
import json, sys
c, o = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert c["open_loop"] is False and c["unsent"] == 0 and c["errors"] == 0, c
# the slipped schedule sends fewer reports than the open loop kept
assert c["acked"] < o["acked"], (c, o)
print("ok - closed loop: the stop slipped the schedule: %d acked against "
    "%d open loop" % (c["acked"], o["acked"]))
END_PY

stop_daemon
