#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end benchmark at the design load (issue 17): 1,000 agents, 10
# events and 20 connections per report, over TLS on keep-alive connections.
#   1. closed loop: every agent sends its next report as soon as its ack
#      arrives; the ack rate is the daemon's closed-loop maximum;
#   2. open loop (kics-agent-sim --open-loop): the offered rate is stepped
#      up; every agent keeps its schedule whatever the replies and latency
#      counts from the scheduled time, so queueing shows. The knee is the
#      offered rate at which the ack p99 passes 250 ms;
#   3. the daemon's peak memory (VmHWM) against the 128 MB budget of
#      docs/performance.md: above it the benchmark fails.
# Every run starts with a warmup that is not measured (the agents' TLS
# handshakes): WARMUP seconds, open loop plus the time in which every agent
# sent its first report. Each run carries the load average of the machine and
# the CPU time per acked report (warmup and handshakes included), which holds
# better than rates on a shared machine: the daemon's, split by thread (event
# loop, writer, checkpointer), and the simulator's, which runs on the same
# cores and so counts against the knee. After the closed loop it prints the
# daemon's checkpoint counters (kics-query status), so that checkpoint
# pressure shows beside the rates, and after each open-loop step what the
# step's measured part added to them: the writer's waits for the WAL to
# start over (the hard ones, at the WAL's hard bound, are the long stalls
# that pass the p99), the fsyncs inside checkpoints, the writer's CPU per
# report, the daemon's answer times (from its queue to the reply, and
# where the slow ones waited), and the longest batch transaction, COMMIT,
# fsync of the WAL or in a checkpoint, and maintenance transaction of the
# writer, when the step made one longer than any before. The simulator's
# timeline adds the seconds of the step in which acks took longer than
# 250 ms: a stall that the daemon's answer times do not show waited
# before its queue (TLS, the event loop) or in the simulator.
# usage: bench-knee.sh KICS_EPP_PROXY KICS_AGENT_SIM KICS_QUERY
#        [STEP_S [RATE...]]
set -eu

DAEMON=$1
SIM=$2
QUERY=$3
STEP=${4:-8}
shift 3
[ $# -eq 0 ] || shift
# Steps of 250 from 2,000: past its capacity the daemon's queue grows for
# the whole step and the p99 is seconds, so the interpolation puts the knee
# just above the last step that held (with steps of 500, at 2,000-2,030
# whatever the capacity between 2,000 and 2,500).
RATES=${*:-250 500 1000 1500 2000 2250 2500 2750 3000}
AGENTS=1000
WARMUP=3	# s: each run's 1,000 TLS handshakes fall in it, not measured
P99_LIMIT_MS=250
GOAL=2500
RSS_BUDGET_KB=$((128 * 1024))
. "$(dirname "$0")/bench-tls-fx.sh"
test_dir bench-knee

PORT=$(free_port)
daemon_conf "$PORT" bench <<END_CONF
user: root
limits:
  # every simulated agent connects from 127.0.0.1
  max_connections_per_address: 2000
  # 1,000 agents connect at once at the start of each run; on a loaded
  # machine their handshakes may take longer than the default 10 s
  handshake_timeout_s: 60
agents:
  # every simulated agent comes from 127.0.0.1
  max_new_per_address_per_minute: 0
END_CONF
start_daemon

# The simulator's command line, one argument a line; the tokens keep the
# agents' identity across runs.
sim_args() {	# extra options...
	printf '%s\n' "$SIM" --port "$PORT" --ca "$DATA/pki/ca.pem" \
	    --agents "$AGENTS" --events-per-report 10 \
	    --connections-per-report 20 --token-file "$TMP/tokens" --quiet \
	    --json "$@"
}

sim() {	# extra options...
	sim_args "$@" | tr '\n' '\0' | xargs -0 sh -c 'exec "$@"' sh
}

# One run: runs the simulator and prints its JSON with the CPU time per
# acked report added, in ms: the daemon's whole process and each of its
# threads (the event loop is the main thread; the writer and checkpointer
# threads name themselves kics-writer and kics-ckpt; any other thread is
# "other"), read from /proc/PID/task/*/schedstat before and after, and the
# simulator's (its rusage: user + system), which runs on the same cores.
# Past the knee an open-loop run may see no report of its measured part
# acked in time (the simulator then exits 1): that is a result, only other
# errors are failures.
measure() {
	sim_args "$@" >"$TMP/sim-args"
	python3 - "$PID" "$TMP/sim-args" "$(loadavg)" <<'END_PY'
import json, os, resource, subprocess, sys

pid = sys.argv[1]

def threads():
    """CPU ns per thread role of the daemon so far."""
    role = {}
    base = "/proc/%s/task" % pid
    for tid in os.listdir(base):
        try:
            comm = open("%s/%s/comm" % (base, tid)).read().strip()
            ns = int(open("%s/%s/schedstat" % (base, tid)).read().split()[0])
        except OSError:
            continue	# a thread that ended
        name = ("loop" if tid == pid else "writer" if comm == "kics-writer"
            else "checkpointer" if comm == "kics-ckpt" else "other")
        role[name] = role.get(name, 0) + ns
    return role

def proc_ns():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1e9 / os.sysconf("SC_CLK_TCK")

args = open(sys.argv[2]).read().splitlines()
before, p0 = threads(), proc_ns()
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
out = subprocess.run(args, stdout=subprocess.PIPE, text=True).stdout
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
after, p1 = threads(), proc_ns()
try:
    s = json.loads(out)
except ValueError:
    sys.exit("FAIL: kics-agent-sim: " + out)
if s["errors"] or s["acked"] + s["warmup_acked"] == 0:
    sys.exit("FAIL: kics-agent-sim: " + out)
n = s["acked"] + s["warmup_acked"]
ms = lambda ns: ns / 1e6 / n
s["daemon_cpu_ms_per_report"] = ms(p1 - p0)
s["thread_cpu_ms_per_report"] = {k: ms(after.get(k, 0) - before.get(k, 0))
    for k in ("loop", "writer", "checkpointer", "other")}
s["sim_cpu_ms_per_report"] = (r1.ru_utime + r1.ru_stime - r0.ru_utime
    - r0.ru_stime) * 1000.0 / n
s["load"] = sys.argv[3]
print(json.dumps(s))
END_PY
}

line() {	# LABEL JSON → one line
	python3 -c 'import json, sys
s = json.loads(sys.argv[2])
lat = s["latency_ms"]
if s["acked"]:
    what = "acked %6.0f/s  p50 %7.1f  p99 %7.1f  max %7.1f ms" % (
        s["reports_per_s"], lat["p50"], lat["p99"], lat["max"])
else:
    what = "no report due after the warmup was acked before the end"
t = s["thread_cpu_ms_per_report"]
print("%-22s %s  busy %d  unsent %d  errors %d  load %s" % (sys.argv[1],
    what, s["busy"], s["unsent"], s["errors"], s["load"]))
print("%-22s CPU ms/report: daemon %.3f (loop %.3f  writer %.3f  "
    "checkpointer %.3f  other %.3f)  simulator %.3f" % ("",
    s["daemon_cpu_ms_per_report"], t["loop"], t["writer"],
    t["checkpointer"], t["other"], s["sim_cpu_ms_per_report"]))
# the seconds of an open-loop step whose reports had acks slower than
# 250 ms (in the closed loop every ack waits for the queue)
slow = ["s%d: %d of %d, max %.0f ms" % (i, n[1], n[0], n[2])
    for i, n in enumerate(s["timeline"]) if n[1] and s["open_loop"]]
if slow:
    print("%-22s slow acks by second due: %s" % ("", "; ".join(slow)))' \
	    "$1" "$2"
}

# The daemon's writer statistics (kics-query status, its "writer"
# object) into FILE.
writer_status() {	# FILE
	"$QUERY" --data-dir "$DATA" status --format json >"$1.all" ||
	    fail "kics-query status"
	python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["daemon"]["writer"]))' \
	    <"$1.all" >"$1" || fail "kics-query status: no writer statistics"
}

# What the measured part of the last step added to the writer's counters,
# from its statistics as it began ($TMP/status, taken at the end of the
# step's warmup) and after the step.
step_counters() {
	writer_status "$TMP/status.new"
	python3 - "$TMP/status" "$TMP/status.new" <<'END_PY'
import json, sys

a, b = (json.load(open(p)) for p in sys.argv[1:3])
missing = [k for k in ("checkpoint_drains", "checkpoint_soft_drains",
    "drain_ms_total", "checkpoint_fsync_ms_total", "apply_cpu_ms_total",
    "reports", "apply_ms_max", "commit_ms_max", "fsync_ms_max",
    "checkpoint_fsync_ms_max", "maintenance_ms_max", "answers",
    "answers_over_100ms",
    "answers_over_250ms", "slow_answers_queue_ms_total",
    "slow_answers_batch_ms_total", "slow_answers_fsync_ms_total",
    "slow_answers_loop_ms_total")
    if k not in a or k not in b]
if missing:
    sys.exit("FAIL: kics-query status lacks " + ", ".join(missing))
d = lambda k: b[k] - a[k]
drains = d("checkpoint_drains")
hard = drains - d("checkpoint_soft_drains")
reports = d("reports")
print("%-22s WAL drains %d (hard %d), writer waited %.0f ms; checkpoint "
    "fsyncs %.0f ms; writer apply CPU %.3f ms/report" % ("", drains, hard,
    d("drain_ms_total"), d("checkpoint_fsync_ms_total"),
    d("apply_cpu_ms_total") / reports if reports else 0))
# the answer times inside the daemon, from the writer's queue to the
# reply: if the simulator's slow acks are not here, they waited before
# the queue (TLS, the event loop) or in the simulator
slow = d("answers_over_100ms")
print("%-22s in the daemon: %d answers, %d over 100 ms, %d over 250 ms"
    % ("", d("answers"), slow, d("answers_over_250ms")), end="")
if slow:
    print("; the slow ones' mean ms: queue %.0f, batch %.0f, fsync %.0f, "
        "loop %.0f" % tuple(d("slow_answers_%s_ms_total" % k) / slow
        for k in ("queue", "batch", "fsync", "loop")))
else:
    print()
# a maximum since the start: one that grew grew in this step
longest = [(n, b[k]) for n, k in (("batch", "apply_ms_max"),
    ("COMMIT", "commit_ms_max"),
    ("WAL fsync", "fsync_ms_max"),
    ("checkpoint fsync", "checkpoint_fsync_ms_max"),
    ("maintenance", "maintenance_ms_max")) if b[k] > a[k]]
if longest:
    print("%-22s longest so far, reached in this step: %s" % ("",
        ", ".join("%s %.0f ms" % x for x in longest)))
END_PY
}

echo "$AGENTS agents, 10 events and 20 connections per report," \
    "$STEP s per step after a warmup, load $(loadavg)"
# Every agent registers once, so that the runs below measure reports only;
# agents that failed (a loaded machine) try again, the others send a
# second report.
tries=0
until out=$(sim --reports 1); do
	tries=$((tries + 1))
	[ "$tries" -lt 3 ] || fail "registration: $out"
done
closed=$(measure --warmup "$WARMUP" --duration $((WARMUP + STEP)))
line "closed loop" "$closed"
python3 -c 'import json, sys
s = json.loads(sys.argv[1])
print("mean report body: %.0f bytes" % (s["bytes_sent"] / s["sent"]))' "$closed"
# checkpoint pressure so far: the writer's waits on WAL drains and the
# checkpointer's work (counters since the daemon started)
echo "checkpoints since the start (kics-query status):"
writer_status "$TMP/status"
python3 - "$TMP/status" <<'END_PY'
import json, sys

w = json.load(open(sys.argv[1]))
keys = ("wal_bytes_max", "checkpoint_pages_total", "checkpoint_ms_total",
    "checkpoint_soft_timeouts", "drain_ms_total", "apply_ms_max",
    "commit_ms_max", "fsync_ms_max", "checkpoint_fsync_ms_max",
    "maintenance_ms_max")
missing = [k for k in keys if k not in w]
if missing:
    sys.exit("FAIL: kics-query status lacks " + ", ".join(missing))
for k in keys:
    print("  %-24s %s" % (k, w[k]))
END_PY
: >"$TMP/steps"
# Steps up to the first one whose p99 passes the limit: the knee is below.
for rate in $RATES; do
	# open loop, agent i first sends at i / rate s: all first reports
	# (and their handshakes) fall in the warmup
	w=$((WARMUP + (AGENTS + rate - 1) / rate))
	# the counters as the measured part starts (the simulator's own
	# start, some ms, makes it a little later): the warmup's first
	# reports, which queue behind 1,000 handshakes, stay out of them
	(sleep "$w" && writer_status "$TMP/status") &
	snap=$!
	out=$(measure --rate "$rate" --open-loop --warmup "$w" \
	    --duration $((w + STEP)))
	wait "$snap" || fail "kics-query status at the end of the warmup"
	line "open loop $rate/s" "$out"
	step_counters
	echo "$out" >>"$TMP/steps"
	python3 -c 'import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if s["acked"] and s["latency_ms"]["p99"] <= float(sys.argv[2])
    else 1)' "$out" "$P99_LIMIT_MS" || break
done
rss=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PID/status")

python3 - "$TMP/steps" "$closed" "$P99_LIMIT_MS" "$GOAL" <<'END_PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1])]
closed = json.loads(sys.argv[2])
limit, goal = float(sys.argv[3]), float(sys.argv[4])
held, passed = None, None
for s in steps:
    if s["acked"] and s["latency_ms"]["p99"] <= limit:
        held = s
    else:
        passed = s
        break
cmax = closed["reports_per_s"]
if held is None:
    print("knee: ack p99 above %.0f ms already at %.0f reports/s offered"
        % (limit, steps[0]["offered_per_s"]))
    knee = 0.0
elif passed is None:
    knee = held["offered_per_s"]
    print("knee: above %.0f reports/s (p99 %.1f ms at the last step)"
        % (knee, held["latency_ms"]["p99"]))
else:
    # where p99 crosses the limit, linearly between the two steps
    x0, y0 = held["offered_per_s"], held["latency_ms"]["p99"]
    x1, y1 = passed["offered_per_s"], passed["latency_ms"]["p99"]
    if not passed["acked"]:
        y1 = float("inf")
    knee = x0 + (x1 - x0) * (limit - y0) / (y1 - y0) if y1 > y0 else x0
    print("knee: ack p99 passes %.0f ms between %.0f and %.0f reports/s "
        "offered, about %.0f" % (limit, x0, x1, knee))
print("closed-loop maximum: %.0f reports/s; knee / closed-loop maximum: "
    "%.2f" % (cmax, knee / cmax if cmax else 0))
print("knee / goal (%.0f reports/s): %.2f" % (goal, knee / goal))
END_PY

echo "daemon peak memory (VmHWM): $((rss / 1024)) MB of" \
    "$((RSS_BUDGET_KB / 1024)) MB, ratio" \
    "$(python3 -c "print('%.2f' % ($rss / $RSS_BUDGET_KB))"), load $(loadavg)"
# the exit status is checked; its "ok" line is left out of the output
stop_daemon >/dev/null
[ "$rss" -le "$RSS_BUDGET_KB" ] || fail "peak memory above the budget"
echo "ok - peak memory within the budget"
