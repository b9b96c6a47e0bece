#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark of the writer's commit path (issue 17): 1,000 simulated agents
# (10 events and 20 connections per report) report to the daemon at a
# fixed open-loop RATE for DURATION seconds. Prints the ack latency from
# kics-agent-sim and, from the daemon's group-commit statistics (kics-query
# status) taken before and after the run, the writer's share of wall time
# in its transactions and in COMMIT, batch sizes, the checkpoints and the
# WAL size, with the load average beside them. Run it for two daemon
# binaries in turn (e.g. before and after a change) to compare them.
# usage: bench-commit.sh KICS_EPP_PROXY KICS_AGENT_SIM KICS_QUERY [RATE]
#        [DURATION]
set -eu

DAEMON=$1
SIM=$2
QUERY=$3
RATE=${4:-800}
DURATION=${5:-30}
. "$(dirname "$0")/bench-tls-fx.sh"
test_dir bench-commit

PORT=$(free_port)
daemon_conf "$PORT" bench <<END_CONF
user: root
limits:
  # every simulated agent connects from 127.0.0.1
  max_connections_per_address: 2000
agents:
  max_new_per_address_per_minute: 0
END_CONF
start_daemon

sim() {	# EXTRA-OPTIONS...
	"$SIM" --port "$PORT" --ca "$DATA/pki/ca.pem" --agents 1000 \
	    --token-file "$TMP/tokens" --events-per-report 10 \
	    --connections-per-report 20 --quiet --json "$@"
}

status() {	# the daemon's writer statistics, or {} from an older daemon
	"$QUERY" --data-dir "$DATA" status --format json 2>/dev/null |
	    python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["daemon"].get("writer", {})))'
}

# every agent's first report (host, applications) and its token first
sim --reports 1 >"$TMP/warmup" ||
    echo "warm-up had failures: $(cat "$TMP/warmup")"
before=$(status)
# a run with errors still has figures to show (its summary counts them)
out=$(sim --rate "$RATE" --duration "$DURATION") || true
after=$(status)
load=$(cut -d' ' -f1-3 /proc/loadavg)
wal=$(stat -c %s "$DATA/kics-epp.db-wal" 2>/dev/null || echo 0)
python3 - "$out" "$before" "$after" "$load" "$RATE" "$wal" <<'END_PY'
import json, sys
s, b, a = (json.loads(x) for x in sys.argv[1:4])
load, rate, wal = sys.argv[4], sys.argv[5], int(sys.argv[6])
lat = s.get("latency_ms", {})
print("offered %s reports/s: acked %d, busy %d, errors %d, %.0f reports/s, "
      "ack latency p50 %.1f ms, p99 %.1f ms, max %.1f ms (load average %s)"
      % (rate, s["acked"], s["busy"], s["errors"], s["reports_per_s"],
         lat.get("p50", 0), lat.get("p99", 0), lat.get("max", 0), load))
print("-wal file after the run: %.1f MiB" % (wal / 2**20))
if not a:
    print("writer: no statistics (daemon without them)")
    sys.exit(0)
d = {k: a[k] - b.get(k, 0) for k in a if isinstance(a[k], (int, float))}
wall = d["uptime_s"] * 1000
print("writer over %.1f s: %d reports in %d batches (mean %.1f, max %d), "
      "queue max %d" % (wall / 1000, d["reports"], d["batches"],
                        d["reports"] / max(d["batches"], 1), a["batch_max"],
                        a["queue_max"]))
print("writer time: in transactions %.1f %% of wall, COMMIT %.1f %% of wall "
      "= %.1f %% of transaction time (mean COMMIT %.1f ms, max %.1f ms), "
      "decode+validate %.1f %% of wall"
      % (100 * d["apply_ms_total"] / wall, 100 * d["commit_ms_total"] / wall,
         100 * d["commit_ms_total"] / max(d["apply_ms_total"], 1e-9),
         d["commit_ms_total"] / max(d["commits"], 1), a["commit_ms_max"],
         100 * d["prepare_ms_total"] / wall))
cpu = d.get("apply_cpu_ms_total", 0) + d.get("prepare_cpu_ms_total", 0)
print("writer CPU: %.1f %% of wall, of it decode+validate %.1f %% "
      "(%.3f ms per report)" % (100 * cpu / wall,
      100 * d.get("prepare_cpu_ms_total", 0) / max(cpu, 1e-9),
      d.get("prepare_cpu_ms_total", 0) / max(d["reports"], 1)))
print("fsyncs in COMMIT: %d, mean %.1f ms, %.1f %% of COMMIT time; in "
      "checkpoints: %d, %.1f ms" % (d.get("fsyncs", 0),
      d.get("fsync_ms_total", 0) / max(d.get("fsyncs", 0), 1),
      100 * d.get("fsync_ms_total", 0) / max(d["commit_ms_total"], 1e-9),
      d.get("checkpoint_fsyncs", 0), d.get("checkpoint_fsync_ms_total", 0)))
print("checkpoints (%s): %d runs, %d pages, %.1f ms total, max %.1f ms; "
      "inline %d; drains %d (%.1f ms waited); WAL now %.1f MiB, max %.1f MiB"
      % (a["checkpointer"], d["checkpoints"], d["checkpoint_pages_total"],
         d["checkpoint_ms_total"], a["checkpoint_ms_max"],
         d["inline_checkpoints"], d["checkpoint_drains"],
         d["drain_ms_total"], a["wal_bytes"] / 2**20,
         a["wal_bytes_max"] / 2**20))
END_PY
stop_daemon
