#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The writer's group-commit statistics end to end (issue 17): kics-agent-sim
# sends reports over TLS to the real daemon, then kics-query status shows
# them live in its three formats and the figures add up (every report
# counted is a report acked, batches and commits happened, the checkpointer
# thread, not the writer's COMMIT, copied the WAL into the database). A
# clean stop leaves an empty WAL and a database that passes integrity_check.
# The peer cache's counters are there too, its primary-bit skips among them.
# usage: test-commit-stats.sh KICS_EPP_PROXY KICS_AGENT_SIM KICS_QUERY
set -eu
DAEMON=$1
SIM=$2
QUERY=$3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test-commit-stats.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
python3 - "$DAEMON" "$SIM" "$QUERY" "$TMP" <<'PY'
import csv, io, json, os, signal, socket, sqlite3, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ["KICS_SOURCE_ROOT"], "tests"))
import daemon_fx
from daemon_fx import check

DAEMON, SIM, KQ, TMP = sys.argv[1:5]
DATA = os.path.join(TMP, "data")
kq = daemon_fx.kq_runner(KQ, DATA)

def writer():
    r = kq("status", "--format", "json")
    check(r.returncode == 0, "status --format json: %s" % r.stderr)
    return json.loads(r.stdout)["daemon"]["writer"]

daemon, PORT, logpath = daemon_fx.start_daemon(DAEMON, TMP, DATA, "stats")
try:
    w0 = writer()
    check(w0["reports"] == 0 and w0["batches"] == 0,
          "no report counted before any was sent: %s" % w0)
    check(w0["checkpointer"] == "thread", "a checkpointer thread runs")

    sim = subprocess.run([SIM, "--port", str(PORT), "--ca",
                          os.path.join(DATA, "pki", "ca.pem"), "--agents",
                          "20", "--reports", "10", "--events-per-report",
                          "10", "--connections-per-report", "20",
                          "--quiet", "--json"], capture_output=True,
                         text=True)
    check(sim.returncode == 0, "kics-agent-sim: %s %s" % (sim.stdout,
                                                          sim.stderr))
    acked = json.loads(sim.stdout)["acked"]
    check(acked == 200, "every report acked: %d" % acked)
    # the checkpointer runs at least once a second
    time.sleep(1.5)
    w = writer()
    check(w["reports"] == acked, "reports counted %d == reports acked %d"
          % (w["reports"], acked))
    check(1 <= w["batches"] <= w["reports"], "batches: %s" % w)
    check(w["batch_max"] >= w["batch_mean"] >= 1 and
          w["batch_last"] >= 1, "batch sizes: %s" % w)
    check(abs(w["batch_mean"] - w["reports"] / w["batches"]) < 0.01,
          "batch_mean is reports / batches: %s" % w)
    check(w["commits"] >= w["batches"], "a commit per batch at least: %s"
          % w)
    check(0 < w["commit_ms_mean"] <= w["commit_ms_max"] <
          w["commit_ms_total"] <= w["apply_ms_total"] and
          0 < w["apply_ms_max"] <= w["apply_ms_total"],
          "commit times: %s" % w)
    check(0 < w["prepare_cpu_ms_total"] <= w["prepare_ms_total"] + 1 and
          0 < w["apply_cpu_ms_total"] <= w["apply_ms_total"] + 1,
          "decoding and transactions timed, CPU within wall: %s" % w)
    # a COMMIT that wrote nothing (maintenance with nothing to do) syncs
    # nothing; one that starts the WAL over syncs its header too. A
    # batch's COMMIT does not wait for its fsync: the fsync thread makes
    # one for every COMMIT that asked since its last (deferred), and the
    # answers wait for it, so there are no more of them than batches
    # and they are not inside COMMIT's time
    check(1 <= w["fsync_deferred"] <= w["fsync_deferred_commits"] <=
          w["batches"] and w["fsync_deferred"] <= w["fsyncs"] <=
          2 * w["commits"] and
          0 < w["fsync_ms_mean"] <= w["fsync_ms_max"],
          "the fsyncs timed apart, the batches' deferred: %s" % w)
    check(w["checkpoint_fsyncs"] >= 1 and w["checkpoint_fsync_ms_total"]
          <= w["checkpoint_ms_total"], "the checkpoints' fsyncs: %s" % w)
    check(0 <= w["prepared_ahead"] <= w["reports"],
          "reports decoded during a COMMIT's fsync are reports: %s" % w)
    check(w["queue_now"] == 0 and 1 <= w["queue_max"] <= acked,
          "queue depth: %s" % w)
    check(w["checkpoints"] >= 1 and w["checkpoint_pages_total"] >= 1 and
          w["checkpoint_ms_max"] > 0, "the checkpointer copied pages: %s"
          % w)
    check(w["inline_checkpoints"] == 0 and w["checkpoint_failures"] == 0,
          "no checkpoint inside a COMMIT, none failed: %s" % w)
    check(w["wal_bytes"] > 0 and w["wal_bytes_max"] >= w["wal_bytes"],
          "WAL size: %s" % w)
    check(w["uptime_s"] > 1, "uptime: %s" % w)
    # the periodic maintenance runs every second from the writer's
    # start, also under load (half a second of slack for the last one);
    # its transactions are timed: reports wait meanwhile
    runs = w["maintenance_runs"]
    check(runs >= int(w["uptime_s"] - 0.5) and
          (runs == 0 or 0 < w["maintenance_ms_max"] <=
           w["maintenance_ms_total"] < 1000 * w["uptime_s"]),
          "maintenance timed: %s" % w)
    # every answer timed, from the writer's queue to the reply; the
    # stages of a slow one add up to its time, over 100 ms
    slow = w["answers_over_100ms"]
    stages = sum(w["slow_answers_%s_ms_total" % k]
                 for k in ("queue", "batch", "fsync", "loop"))
    check(w["answers"] == w["reports"] + w["resends_early"] and
          0 < w["answer_ms_max"] and
          w["answers_over_250ms"] <= slow <= w["answers"] and
          (stages == 0 if slow == 0 else
           100 * slow <= stages + 0.001 * slow and
           stages <= slow * w["answer_ms_max"] + 0.001 * slow),
          "answer times: %s" % w)
    # 20 hosts, their peers looked up again in later reports
    check(w["peer_cache_entries"] >= 20 and w["peer_cache_hits"] > 0 and
          w["peer_cache_misses"] >= 1 and
          abs(w["peer_cache_hit_ratio"] - w["peer_cache_hits"] /
              (w["peer_cache_hits"] + w["peer_cache_misses"])) < 0.001 and
          w["peer_cache_evictions"] == 0,
          "peer cache counters: %s" % w)
    # every agent's later reports show its host on the primary IP and MAC
    # its device row already has: the peer cache spares those updates
    check(w["peer_cache_primary_skips"] > 0,
          "primary IP/MAC updates spared: %s" % w)

    r = kq("status", "--format", "csv")
    check(r.returncode == 0, "status --format csv: " + r.stderr)
    rows = list(csv.reader(io.StringIO(r.stdout)))
    got = {row[2]: row[3] for row in rows if row[0] == "writer"}
    check(int(got.get("reports", -1)) == acked and "commit_ms_mean" in got
          and "checkpoint_pages_total" in got and
          int(got.get("peer_cache_entries", -1)) ==
          w["peer_cache_entries"] and
          int(got.get("peer_cache_primary_skips", -1)) ==
          w["peer_cache_primary_skips"], "csv writer section: %s"
          % got)
    r = kq("status")
    check(r.returncode == 0 and "Group commit" in r.stdout and
          "batch_mean" in r.stdout and "checkpoint_ms_max" in r.stdout
          and "peer_cache_hit_ratio" in r.stdout and
          "peer_cache_primary_skips" in r.stdout,
          "status table has the group-commit section: %s" % r.stdout)
finally:
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
    rc = daemon.wait(timeout=30)
check(rc == 0, "clean stop: exit %d" % rc)
wal = os.path.join(DATA, "kics-epp.db-wal")
check(not os.path.exists(wal) or os.path.getsize(wal) == 0,
      "empty WAL after a clean stop")
con = sqlite3.connect("file:%s/kics-epp.db?mode=ro" % DATA, uri=True)
check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
      "integrity_check")
check(con.execute("SELECT COUNT(*) FROM agents").fetchone()[0] == 20,
      "the 20 agents are stored")
con.close()
if daemon_fx.failures:
    print(open(logpath).read(), file=sys.stderr)
daemon_fx.finish()
PY
