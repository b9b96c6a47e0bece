#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of the kics-query binary (issue 4) against a database
# filled through the engine by "test-query --fill DIR": every command in
# every format (JSON parsed back with python3's json, CSV with its csv
# module, compared field by field), exit codes and messages of the error
# cases, and the table width on a narrow terminal.
# usage: test-kics-query.sh KICS_QUERY TEST_QUERY
set -eu
KQ=$1
FILL=$2
DIR=$(mktemp -d "${TMPDIR:-/tmp}/kics-query-test.XXXXXX")
trap 'rm -rf "$DIR"' EXIT INT TERM
"$FILL" --fill "$DIR"
exec python3 - "$KQ" "$DIR" <<'PY'
import csv, io, json, os, sqlite3, subprocess, sys

KQ, DIR = sys.argv[1], sys.argv[2]
DB = os.path.join(DIR, "kics-epp.db")
failures = 0
checks = 0

def run(*args, env=None, data_dir=DIR):
    e = dict(os.environ)
    e.pop("KICS_DATA_DIR", None)
    e["NO_COLOR"] = "1"
    if env:
        e.update(env)
    argv = [KQ] + (["--data-dir", data_dir] if data_dir else []) + list(args)
    p = subprocess.run(argv, capture_output=True, env=e)
    return p.returncode, p.stdout.decode(), p.stderr.decode()

def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)

def rows(sql, *params):
    con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True)
    con.row_factory = sqlite3.Row
    r = [dict(x) for x in con.execute(sql, params)]
    con.close()
    return r

def parse_csv(text):
    check(text == "" or text.endswith("\r\n"), "CSV lines end with CRLF")
    return list(csv.DictReader(io.StringIO(text, newline="")))

def same_rows(got, want, what):
    check(len(got) == len(want), "%s: %d rows, want %d" % (what, len(got), len(want)))
    for g, w in zip(got, want):
        check(list(g.keys()) == list(w.keys()),
              "%s: keys %s, want %s" % (what, list(g.keys()), list(w.keys())))
        for k in w:
            if k == "tags" and isinstance(g.get(k), list):
                check(g[k] == json.loads(w[k]), "%s: tags" % what)
            else:
                check(g.get(k) == w[k], "%s: %s = %r, want %r" % (what, k, g.get(k), w[k]))

def same_csv(got, want, what):
    check(len(got) == len(want), "%s: %d CSV rows, want %d" % (what, len(got), len(want)))
    for g, w in zip(got, want):
        check(list(g.keys()) == list(w.keys()), "%s: CSV header" % what)
        for k in w:
            v = "" if w[k] is None else str(w[k])
            check(g[k] == v, "%s: CSV %s = %r, want %r" % (what, k, g[k], v))

def all_formats(args, want, what, table_words):
    rc, out, err = run(*args, "--format", "json")
    check(rc == 0, "%s json exit %d: %s" % (what, rc, err))
    same_rows(json.loads(out), want, what + " json")
    rc, out, err = run(*args, "--format", "csv")
    check(rc == 0, "%s csv exit %d" % (what, rc))
    same_csv(parse_csv(out), want, what + " csv")
    rc, out, err = run(*args)
    check(rc == 0, "%s table exit %d" % (what, rc))
    for w in table_words:
        check(w in out, "%s table shows %r" % (what, w))
    check("\033[" not in out, "%s: no colour when not a terminal" % what)

nodes = rows("SELECT * FROM map_nodes ORDER BY device_id")
edges = rows("SELECT * FROM map_edges ORDER BY src_device_id, dst_device_id, protocol, port")
events = rows("SELECT * FROM event_log ORDER BY event_id")
eng = [n for n in nodes if n["name"] == "ENG-WS-01"][0]

# devices, map nodes, map edges
all_formats(["devices"], nodes, "devices", ["ENG-WS-01", "SCADA-SRV", "connected", "critical"])
all_formats(["devices", "--epp", "disconnected"],
            [n for n in nodes if n["epp_icon"] == "disconnected"], "devices --epp", ["SCADA-SRV"])
all_formats(["devices", "--limit", "2"], nodes[:2], "devices --limit", ["SCADA-SRV"])
all_formats(["map", "nodes"], nodes, "map nodes", ["ENG-WS-01"])
all_formats(["map", "edges"], edges, "map edges", ["tcp", "502"])

# device find: every notation of one address finds ENG-WS-01 first
for q in ["10.0.0.1", "::ffff:10.0.0.1", "02:00:00:00:00:01", "02-00-00-00-00-01",
          "0200.0000.0001", "020000000001", "2001:DB8::0:1", "eng-ws-01", "ENG-WS"]:
    rc, out, err = run("device", "find", q, "--format", "json")
    check(rc == 0, "find %s exit %d %s" % (q, rc, err))
    got = json.loads(out) if rc == 0 else []
    check(len(got) >= 1 and got[0] == eng, "find %s gives ENG-WS-01 first" % q)
all_formats(["device", "find", "10.0.0.1"], [eng], "device find", ["ENG-WS-01", "address"])

# device show: one object, field by field against the database
rc, out, err = run("device", "show", "10.0.0.1", "--format", "json")
check(rc == 0, "device show exit %d %s" % (rc, err))
show = json.loads(out)
for k, v in eng.items():
    check(show[k] == v, "device show %s" % k)
attrs = rows("SELECT name, value, source, updated_ms FROM device_attributes WHERE device_id = ?", eng["device_id"])
check(sorted(map(json.dumps, show["attributes"])) == sorted(map(json.dumps, attrs)), "device show attributes")
addrs = rows("SELECT value FROM addresses WHERE device_id = ?", eng["device_id"])
check(sorted(a["value"] for a in show["addresses"]) == sorted(a["value"] for a in addrs), "device show addresses")
check(show["agent"]["agent_id"] == "agent-eng" and show["agent"]["state"] == "connected", "device show agent")
check(show["applications"][0]["product"] == "Kaspersky Endpoint Security", "device show applications")
peers = {(p["protocol"], p["port"], p["source"], p["direction"]) for p in show["peers"]}
check(("tcp", 502, "epp", "outbound") in peers and ("udp", 49152, "epp", "inbound") in peers, "device show peers")
devev = [e for e in events if e["device_id"] == eng["device_id"]][-20:]
check([e["event_id"] for e in show["events"]] == [e["event_id"] for e in devev], "device show events")
rc, out, err = run("device", "show", str(eng["device_id"]), "--format", "csv")
c = parse_csv(out)
check(rc == 0 and list(c[0].keys()) == ["section", "row", "field", "value"], "device show csv header")
check({"section": "device", "row": "0", "field": "name", "value": "ENG-WS-01"} in c, "device show csv name")
check({"section": "peer", "row": "0", "field": "protocol", "value": "tcp"} in c or
      any(r["section"] == "peer" and r["field"] == "port" and r["value"] == "502" for r in c), "device show csv peer")
rc, out, err = run("device", "show", "02-00-00-00-00-01")
for w in ["ENG-WS-01", "Attributes", "Addresses", "Peers", "Last events", "agent-eng", "connected"]:
    check(w in out, "device show table has %s" % w)

# events with filters and search
all_formats(["events"], events[-50:], "events", ["Agent connected"])
all_formats(["events", "--severity", "critical"],
            [e for e in events if e["severity"] == "critical"], "events --severity", ["critical"])
all_formats(["events", "--code", "4000005505"],
            [e for e in events if e["code"] == 4000005505], "events --code", ["firewall"])
all_formats(["events", "--device", "SCADA-SRV", "--since", "7d", "--until", "now"],
            [e for e in events if e["device_id"] == 1], "events --device --since", ["Scan of drive"])
all_formats(["events", "--search", "modbus"],
            [e for e in events if "Modbus" in (e["description"] or "")], "events --search", ["[Modbus]"])
rc, out, err = run("events", "--search", "modbus", env={"NO_COLOR": ""})
rc, out, err = run("events", "--since", "2000-01-01", "--limit", "2", "--format", "json")
check(rc == 0 and [e["event_id"] for e in json.loads(out)] == [e["event_id"] for e in events[-2:]], "events --limit 2")

# map export
rc, out, err = run("map", "export")
doc = json.loads(out)
check(rc == 0 and doc["nodes"] == nodes and doc["edges"] == edges, "map export json")
rc, out, err = run("map", "export", "--format", "dot")
check(rc == 0 and out.startswith("//") and "digraph kics_map {" in out and out.rstrip().endswith("}"), "map export dot")
check("EPP: connected" in out and "EPP: disconnected" in out and "security: critical" in out, "dot node states")
check('label="tcp/502", style=dashed' in out, "dot edge label and style")

# status, server list, user list, audit
rc, out, err = run("status", "--format", "json")
st = json.loads(out)
check(rc == 0 and st["devices"] == len(nodes) and st["agents_connected"] == 1 and st["max_agents"] == 1000, "status json")
check(st["events"] == len(events) and st["database_bytes"] > 0, "status counts")
check("not available" in err, "status notes the daemon")
rc, out, err = run("status")
check(rc == 0 and "agents_connected" in out, "status table")
rc, out, err = run("status", "--format", "csv")
check(rc == 0 and {"section": "status", "row": "0", "field": "devices", "value": str(len(nodes))} in parse_csv(out), "status csv")
for cmd in (["server", "list"], ["user", "list"], ["audit"]):
    rc, out, err = run(*cmd, "--format", "json")
    check(rc == 1 and json.loads(out) == [], "%s: empty list exits 1" % cmd)
    rc, out, err = run(*cmd, "--format", "csv")
    check(rc == 1, "%s csv exit 1" % cmd)

# narrow terminal: every table line fits COLUMNS
for cols in ("40", "60", "80"):
    for cmd in (["devices"], ["events"], ["map", "edges"], ["device", "find", "10.0.0"]):
        rc, out, err = run(*cmd, env={"COLUMNS": cols})
        w = max(len(l) for l in out.splitlines())
        check(rc == 0 and w <= int(cols), "%s at COLUMNS=%s: width %d" % (cmd, cols, w))

# errors: exit codes and the exact messages
def err_case(args, code, msg, data_dir=DIR, env=None):
    rc, out, err = run(*args, data_dir=data_dir, env=env)
    check(rc == code, "%s: exit %d, want %d (%s)" % (args, rc, code, err.strip()))
    check(err.count("\n") == 1, "%s: one line on stderr: %r" % (args, err))
    check(err.strip() == msg, "%s: message %r, want %r" % (args, err.strip(), msg))

err_case(["frobnicate"], 2, "kics-query: unknown command 'frobnicate' (see 'kics-query --help')")
err_case(["devices", "--bogus"], 2, "kics-query: devices: unknown option '--bogus' (see 'kics-query devices --help')")
err_case(["devices", "--limit", "0"], 2, "kics-query: devices: invalid --limit '0' (a positive integer) (see 'kics-query devices --help')")
err_case(["devices", "--format", "xml"], 2, "kics-query: devices: unknown format 'xml' (use table, json or csv) (see 'kics-query devices --help')")
err_case(["device", "find", "10.0.0.300"], 2, "kics-query: device find: malformed IP address '10.0.0.300' (see 'kics-query device find --help')")
err_case(["device", "show", "aa-bb-cc-dd-ee-gg"], 2, "kics-query: device show: malformed MAC or IP address 'aa-bb-cc-dd-ee-gg' (see 'kics-query device show --help')")
err_case(["device", "show", "aa:bb:cc:dd:ee"], 2, "kics-query: device show: malformed MAC or IP address 'aa:bb:cc:dd:ee' (see 'kics-query device show --help')")
err_case(["events", "--since", "yesterday"], 2, "kics-query: events: invalid time 'yesterday' for --since (use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM|-HH:MM], now, or an age such as 30m, 24h, 7d) (see 'kics-query events --help')")
err_case(["events", "--severity", "loud"], 2, "kics-query: events: invalid --severity 'loud' (use info, warning or critical) (see 'kics-query events --help')")
err_case(["events", "--search", "modbus AND"], 2, "kics-query: invalid search 'modbus AND': unexpected end of the expression; put words with punctuation in double quotes, e.g. '\"C:\\\\Windows\"'")
err_case(["events", "--search", "C:\\Windows"], 2, "kics-query: invalid search 'C:\\Windows': 'C' is not a searchable column (title, description, object_path, threat_name, user_name, hostname); quote words that contain ':'")
err_case(["device", "find", "no-such-device"], 1, "kics-query: no device matches found")
err_case(["device", "show", "4242"], 1, "kics-query: no device matches '4242'")
err_case(["events", "--device", "10.9.9.9"], 1, "kics-query: no device matches '10.9.9.9'")
err_case(["events", "--search", "zzzznothing"], 1, "kics-query: no events found")
err_case(["devices"], 1, "kics-query: data directory '/nonexistent/dir' does not exist", data_dir="/nonexistent/dir")
err_case(["devices"], 1, "kics-query: database '%s/kics-epp.db' does not exist (kics-epp-proxy creates it when it first starts)" % os.path.join(DIR, "empty"), data_dir=os.path.join(DIR, "empty")) if os.mkdir(os.path.join(DIR, "empty")) is None else None
err_case(["map", "nodes", "--format", "dot"], 2, "kics-query: map nodes: --format dot is only for map export (see 'kics-query map nodes --help')")
err_case(["map", "export", "--format", "csv"], 2, "kics-query: map export: map export takes --format json or dot (see 'kics-query map export --help')")
err_case(["device"], 2, "kics-query: 'device' needs a subcommand (see 'kics-query --help')")
err_case(["device", "show"], 2, "kics-query: device show: missing argument (usage: kics-query device show ID|IP|MAC) (see 'kics-query device show --help')")

# KICS_DATA_DIR is the default data directory
rc, out, err = run("devices", "--format", "json", env={"KICS_DATA_DIR": DIR}, data_dir=None)
check(rc == 0 and json.loads(out) == nodes, "KICS_DATA_DIR")

# administrative commands: options checked, then exit 3 naming the socket
sock = os.path.join(DIR, "control.sock")
unreach = "kics-query: cannot reach the daemon's control socket '%s': No such file or directory (is kics-epp-proxy running?)" % sock
pw = os.path.join(DIR, "pw")
open(pw, "w").write("secret passphrase\n")
for args in (["device", "set", "1", "--status", "authorized"], ["server", "add", "--address", "10.0.0.9", "--port", "8443"],
             ["server", "edit", "1", "--name", "x"], ["server", "enable", "1"], ["server", "disable", "1"],
             ["server", "remove", "1"], ["package", "create", "--server", "1", "--out", "/tmp/p.zip", "--password-file", pw],
             ["user", "add", "alice", "--role", "operator"], ["user", "remove", "alice"], ["rules", "reload"]):
    err_case(args, 3, unreach)
# rules list reads the set the daemon saved (none in this database)
err_case(["rules", "list"], 1, "kics-query: no rule set saved by the daemon found")
err_case(["device", "set", "1", "--status", "gone"], 2, "kics-query: device set: invalid --status 'gone' (use authorized, unauthorized or archived) (see 'kics-query device set --help')")
err_case(["device", "set", "1"], 2, "kics-query: device set: nothing to set (give at least one of --status, --name, --category, --vendor, --model, --os-name, --os-version, --ip) (see 'kics-query device set --help')")
err_case(["server", "add", "--address", "10.0.0.999", "--port", "1"], 2, "kics-query: server add: malformed IP address '10.0.0.999' (see 'kics-query server add --help')")
err_case(["server", "add", "--address", "10.0.0.9", "--port", "70000"], 2, "kics-query: server add: invalid --port '70000' (1 to 65535) (see 'kics-query server add --help')")
err_case(["user", "add", "bob", "--role", "king"], 2, "kics-query: user add: invalid --role 'king' (use administrator, operator) (see 'kics-query user add --help')")

# --help of the tool and of every command
rc, out, err = run("--help", data_dir=None)
check(rc == 0 and "Commands:" in out, "kics-query --help")
cmds = [l.strip().split(" [")[0].split(" --")[0] for l in out.splitlines() if l.startswith("  ")]
for c in cmds:
    words = [w for w in c.split() if w.islower() and w.isalpha()][:2]
    if not words:
        continue
    if words[0] not in ("server", "device", "map", "user", "rules", "package",
                        "agent", "traffic"):
        words = words[:1]
    rc, hout, herr = run(*words, "--help", data_dir=None)
    check(rc == 0 and hout.startswith("usage: kics-query " + " ".join(words)), "%s --help" % words)

# the reader never wrote: the fixture is unchanged and no file was created
check(sorted(os.listdir(DIR)) == sorted(["kics-epp.db", "empty", "pw"] + [f for f in os.listdir(DIR) if f.startswith("kics-epp.db-")]), "no files created")

print("%d checks, %d failed" % (checks, failures))
sys.exit(1 if failures else 0)
PY
