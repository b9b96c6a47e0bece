#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kics-query against the running daemon (issue 12): events --follow prints
# every event as the daemon stores it while kics-agent-sim pushes reports
# (JSON Lines, CSV and table, checked against the database), SIGINT ends
# it with exit 0; status --format json|csv carries the daemon's live
# sections; lookups leave no audit record, administrative actions do.
# usage: test-query-live.sh KICS_EPP_PROXY KICS_AGENT_SIM KICS_QUERY
set -eu
DAEMON=$1
SIM=$2
QUERY=$3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test-query-live.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
python3 - "$DAEMON" "$SIM" "$QUERY" "$TMP" <<'PY'
import csv, io, json, os, signal, sqlite3, subprocess, sys, time

sys.path.insert(0, os.path.join(os.environ["KICS_SOURCE_ROOT"], "tests"))
import daemon_fx
from daemon_fx import check

DAEMON, SIM, KQ, TMP = sys.argv[1:5]
DATA = os.path.join(TMP, "data")
kq = daemon_fx.kq_runner(KQ, DATA)

def sql(q, *p):
    con = sqlite3.connect("file:%s/kics-epp.db?mode=ro" % DATA, uri=True)
    r = con.execute(q, p).fetchall()
    con.close()
    return r

daemon, PORT, logpath = daemon_fx.start_daemon(DAEMON, TMP, DATA, "live")
try:
    # --- events --follow while the daemon writes ---
    env = dict(os.environ, NO_COLOR="1")
    base = [KQ, "--data-dir", DATA, "events", "--follow"]
    # into files: a pipe nobody reads would stall the follower
    def follower(name, args):
        f = open(os.path.join(TMP, "follow." + name), "w+b")
        return (subprocess.Popen(base + args, stdout=f, stderr=subprocess.PIPE, env=env), f)
    followers = {
        "json": follower("json", ["--format", "json", "--limit", "1000000"]),
        "csv": follower("csv", ["--format", "csv", "--severity", "warning", "--limit", "1000000"]),
        "table": follower("table", ["--limit", "3"]),
    }
    time.sleep(1)
    before = sql("SELECT max(id) FROM events")[0][0] or 0
    sim = subprocess.run([SIM, "--port", str(PORT), "--ca", os.path.join(DATA, "pki", "ca.pem"),
                          "--agents", "8", "--duration", "3", "--events-per-report", "5",
                          "--sequence-start", "1", "--quiet", "--json"], capture_output=True, text=True)
    check(sim.returncode == 0, "kics-agent-sim: %s %s" % (sim.stdout, sim.stderr))
    time.sleep(1.5)
    outs = {}
    for name, (p, f) in followers.items():
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        f.seek(0)
        outs[name] = f.read().decode()
        check(p.returncode == 0, "follow %s: SIGINT exits 0, got %s: %s" % (name, p.returncode, err.decode()))
    all_ids = [r[0] for r in sql("SELECT id FROM events ORDER BY id")]
    check(len(all_ids) > before + 20, "the simulator's events were stored (%d)" % len(all_ids))
    lines = outs["json"].splitlines()
    objs = [json.loads(l) for l in lines]
    keys = ["event_id", "occurred_at_ms", "registered_at_ms", "device_id", "agent_id", "code", "title",
            "severity", "technology", "category", "description", "tags"]
    check(all(list(o.keys()) == keys for o in objs), "follow json: one event_log object per line")
    check([o["event_id"] for o in objs] == all_ids, "follow json: every event once, in the order stored "
          "(%d printed, %d stored)" % (len(objs), len(all_ids)))
    view = {r[0]: r for r in sql("SELECT event_id, title, severity FROM event_log")}
    check(all(view[o["event_id"]][1] == o["title"] and view[o["event_id"]][2] == o["severity"] for o in objs),
          "follow json: the values of event_log")
    text = outs["csv"]
    check(text.startswith("\ufeff"), "follow csv: BOM")
    c = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    want = [r[0] for r in sql("SELECT id FROM events WHERE severity >= 2 ORDER BY id")]
    check([int(r["event_id"]) for r in c] == want and len(want) > 0, "follow csv --severity warning: header once, every match")
    t = outs["table"].splitlines()
    check(t[0].split()[:3] == ["ID", "OCCURRED", "SEVERITY"], "follow table header")
    printed = [int(l.split()[0]) for l in t[1:]]
    old = [i for i in all_ids if i <= before]
    check(printed == all_ids[-len(printed):] and
          len(printed) == len(all_ids) - len(old) + min(3, len(old)),
          "follow table: the last 3, then every new event (%d printed)" % len(printed))

    # --- status with the daemon: every section in every format ---
    r = kq("status", "--format", "json")
    st = json.loads(r.stdout) if r.returncode == 0 else {}
    check(r.returncode == 0 and st.get("daemon") and st["daemon"]["listeners"][0]["port"] == PORT,
          "status json carries the daemon and its listeners: %s" % r.stderr)
    check(st.get("servers") and st["servers"][0]["state"] == "listening", "status json servers")
    r = kq("status", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout.lstrip("\ufeff"), newline="")))
    sections = {x["section"] for x in rows}
    check(r.returncode == 0 and sections == {"daemon", "listener", "writer", "status", "server"}, "status csv sections %s" % sections)
    check({"section": "listener", "row": "0", "field": "port", "value": str(PORT)} in rows, "status csv listener port")
    check({"section": "daemon", "row": "0", "field": "pid", "value": str(daemon.pid)} in rows, "status csv daemon pid")
    r = kq("status")
    for w in ("Daemon", "Listeners", "Database", "Integration servers", str(PORT)):
        check(w in r.stdout, "status table shows %s" % w)
    r = kq("status", "--format", "json", "--time", "iso")
    check(r.returncode == 0 and json.loads(r.stdout)["last_event_ms"][4] == "-", "status --time iso")

    # --- lookups are not audited, administrative actions are ---
    for args in (["status"], ["server", "list"], ["user", "list"], ["audit"], ["agent", "list"],
                 ["devices"], ["events", "--limit", "1"]):
        kq(*args)
    check(sql("SELECT count(*) FROM audit_log")[0][0] == 0, "no audit record of a lookup")
    port2 = daemon_fx.free_port()
    r = kq("server", "add", "--address", "127.0.0.1", "--port", str(port2), "--name", "second")
    check(r.returncode == 0, "server add: %s" % r.stderr)
    check(sql("SELECT action, result FROM audit_log") == [("server add", "ok")], "the administrative action is audited")
    r = kq("audit", "--format", "json")
    check(r.returncode == 0 and [a["action"] for a in json.loads(r.stdout)] == ["server add"], "audit shows only the action")
finally:
    daemon.send_signal(signal.SIGTERM)
    try:
        rc = daemon.wait(timeout=20)
    except subprocess.TimeoutExpired:
        daemon.kill()
        rc = -1
    check(rc == 0, "daemon exits cleanly")
    if daemon_fx.failures:
        sys.stderr.write(open(os.path.join(TMP, "daemon.log")).read()[-3000:])
daemon_fx.finish()
PY
