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
python3 - "$KQ" "$DIR" <<'PY'
import csv, io, json, os, re, subprocess, sys

sys.path.insert(0, os.path.join(os.environ["KICS_SOURCE_ROOT"], "tests"))
import daemon_fx
from daemon_fx import check

KQ, DIR = sys.argv[1], sys.argv[2]
DB = os.path.join(DIR, "kics-epp.db")
rows = daemon_fx.rows_reader(DB)

def run(*args, env=None, data_dir=DIR):
    e = dict(os.environ)
    e.pop("KICS_DATA_DIR", None)
    e["NO_COLOR"] = "1"
    if env:
        e.update(env)
    argv = [KQ] + (["--data-dir", data_dir] if data_dir else []) + list(args)
    p = subprocess.run(argv, capture_output=True, env=e)
    return p.returncode, p.stdout.decode(), p.stderr.decode()

BOM = "\ufeff"

def parse_csv(text):
    # issue 12: UTF-8 byte order mark first, so that spreadsheets read UTF-8
    check(text.startswith(BOM), "CSV starts with the UTF-8 BOM")
    text = text[len(BOM):] if text.startswith(BOM) else text
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
# issue 12: every event list is newest first by occurred time, ties by id
ordered = rows("SELECT * FROM event_log ORDER BY occurred_at_ms DESC, event_id DESC")
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
devev = [e for e in ordered if e["device_id"] == eng["device_id"]][:20]
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
all_formats(["events"], ordered[:50], "events", ["Agent connected", "ENG-WS-01", "10.0.0.1"])
all_formats(["events", "--reverse"], ordered[::-1][:50], "events --reverse", ["Agent connected"])
all_formats(["events", "--severity", "critical"],
            [e for e in ordered if e["severity"] == "critical"], "events --severity", ["critical"])
all_formats(["events", "--code", "4000005505"],
            [e for e in ordered if e["code"] == 4000005505], "events --code", ["firewall"])
all_formats(["events", "--device", "SCADA-SRV", "--since", "7d", "--until", "now"],
            [e for e in ordered if e["device_id"] == 1], "events --device --since", ["Scan of drive", "SCADA-SRV", "10.0.0.2"])
all_formats(["events", "--search", "modbus"],
            [e for e in ordered if "Modbus" in (e["description"] or "")], "events --search", ["[Modbus]"])
rc, out, err = run("events", "--since", "2000-01-01", "--limit", "2", "--format", "json")
check(rc == 0 and [e["event_id"] for e in json.loads(out)] == [e["event_id"] for e in ordered[:2]], "events --limit 2")
# the table names each event's device and its IP
rc, out, err = run("events", "--limit", "100")
for e in ordered:
    dev = [n for n in nodes if n["device_id"] == e["device_id"]]
    line = [l for l in out.splitlines() if l.split()[0] == str(e["event_id"])]
    check(len(line) == 1 and (not dev or (dev[0]["name"] in line[0] and dev[0]["ip"] in line[0])),
          "events table: event %d shows its device name and IP" % e["event_id"])
# --search: words with punctuation need no quotes; FTS5 syntax still works
def search_ids(text):
    rc, out, err = run("events", "--search", text, "--format", "json", "--limit", "1000")
    check(rc in (0, 1), "search %r exit %d %s" % (text, rc, err))
    return [e["event_id"] for e in json.loads(out)] if rc == 0 else []
def text_of(e):
    return " ".join(str(e.get(k) or "") for k in ("title", "description"))
for word in ("10.0.0.60", "D: done", "PLC, register"):
    want = [e["event_id"] for e in ordered if all(w.lower() in text_of(e).lower() for w in word.split())]
    check(search_ids(word) == want and want, "search %r unquoted finds %s" % (word, want))
check(search_ids("modbus OR scan") == [e["event_id"] for e in ordered
      if "modbus" in text_of(e).lower() or "scan" in text_of(e).lower()], "search OR")
check(search_ids('"register 40001"') == [e["event_id"] for e in ordered if "register 40001" in text_of(e)], "search phrase")
check(search_ids("regist*") == search_ids("register"), "search prefix")
check(search_ids("description:modbus") == search_ids("modbus"), "search column filter")
rc, out, err = run("events", "--search", "modbus AND")
check(rc == 2 and "at 'AND'" in err and "--search 'modbus \"AND\"'" in err, "search error names the token: %s" % err)

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
check(st["daemon"] is None, "status json: no daemon")
for cmd in (["server", "list"], ["user", "list"], ["audit"]):
    rc, out, err = run(*cmd, "--format", "json")
    check(rc == 1 and json.loads(out) == [], "%s: empty list exits 1" % cmd)
    rc, out, err = run(*cmd, "--format", "csv")
    check(rc == 1, "%s csv exit 1" % cmd)

# narrow terminal (issue 12): ids, names, IPs and MACs are never cut; the
# other columns give way; a line is longer than COLUMNS only when the kept
# columns alone are
keys = {"devices": ["device_id", "name", "ip", "mac"]}
for cols in ("40", "60", "80", "100"):
    for cmd in (["devices"], ["events"], ["map", "edges"], ["device", "find", "10.0.0"]):
        rc, out, err = run(*cmd, env={"COLUMNS": cols})
        lines = out.splitlines()
        w = max(len(l) for l in lines)
        if cmd[0] in ("devices", "device"):
            for n in nodes:
                if cmd[0] == "device" and not (n["ip"] or "").startswith("10.0.0"):
                    continue
                line = [l for l in lines[1:] if l.split()[0] == str(n["device_id"])]
                check(len(line) == 1 and n["name"] in line[0] and n["ip"] in line[0] and
                      (n["mac"] is None or n["mac"] in line[0]), "%s at %s: device %s whole" % (cmd, cols, n["name"]))
            keyw = max(len("  ".join([str(n["device_id"]).ljust(2), n["name"].ljust(9), n["ip"].ljust(9),
                                       (n["mac"] or "-").ljust(17)])) for n in nodes)
            check(w <= max(int(cols), keyw), "%s at COLUMNS=%s: width %d" % (cmd, cols, w))
        elif cmd == ["events"]:
            for e in ordered[:50]:
                line = [l for l in lines[1:] if l.split()[0] == str(e["event_id"])]
                check(len(line) == 1, "events at %s: id %d whole" % (cols, e["event_id"]))
        else:
            check(w <= int(cols), "%s at COLUMNS=%s: width %d" % (cmd, cols, w))
# --wide shows every column, none cut, whatever the width
rc, out, err = run("events", "--wide", env={"COLUMNS": "40"})
for h in ("REGISTERED AT", "AGENT ID", "TECHNOLOGY", "TAGS", "DESCRIPTION"):
    check(h in out.splitlines()[0], "events --wide has %s" % h)
check("\u2026" not in out and "Network connection not allowed by firewall rules" in out, "events --wide cuts nothing")
rc, out, err = run("devices", "--wide", env={"COLUMNS": "40"})
check("Windows 10 Enterprise 10.0.19045" in out and "OptiPlex 7090" in out, "devices --wide")

# --time iso: *_ms values as ISO 8601 with the zone in every format, keys
# unchanged; checked in a zone three hours east of UTC
import datetime
def iso_ms(v):
    return int(datetime.datetime.fromisoformat(v).timestamp() * 1000)
env_tz = {"TZ": "UTC-3"}
rc, out, err = run("devices", "--time", "iso", "--format", "json", env=env_tz)
got = json.loads(out)
check(rc == 0 and [list(g.keys()) for g in got] == [list(n.keys()) for n in nodes], "iso json keys unchanged")
check(all(g["last_seen_ms"].endswith("+03:00") and iso_ms(g["last_seen_ms"]) == n["last_seen_ms"]
          for g, n in zip(got, nodes)), "iso json values")
rc, out, err = run("events", "--time", "iso", "--format", "csv", env=env_tz)
c = parse_csv(out)
check(rc == 0 and all(iso_ms(r["occurred_at_ms"]) == e["occurred_at_ms"] and
                      iso_ms(r["registered_at_ms"]) == e["registered_at_ms"] for r, e in zip(c, ordered)), "iso csv values")
rc, out, err = run("device", "show", "ENG-WS-01", "--time", "iso", "--format", "json", env=env_tz)
doc = json.loads(out)
check(rc == 0 and iso_ms(doc["last_seen_ms"]) == eng["last_seen_ms"] and
      all(isinstance(e["occurred_at_ms"], str) for e in doc["events"]), "iso device show nested")
rc, out, err = run("devices", "--time", "ms")
check(rc == 0 and str(eng["last_seen_ms"]) in out, "--time ms in a table")
rc, out, err = run("events", "--time", "iso", "--limit", "1", env=env_tz)
check(rc == 0 and "+03:00" in out, "--time iso in a table")

# CSV for spreadsheets: BOM, CRLF, RFC 4180 quoting of a non-ASCII name
rc, out, err = run("events", "--search", "register", "--format", "csv")
check('"Modbus write to PLC, register 40001 ""quoted"""' in out, "CSV quotes commas and quotes")

# devices filters (issue 12)
def dev_ids(*args):
    rc, out, err = run("devices", *args, "--format", "json")
    check(rc in (0, 1), "devices %s exit %d %s" % (args, rc, err))
    return [d["device_id"] for d in json.loads(out)] if rc == 0 else []
def addr_in(net):
    import ipaddress
    n = ipaddress.ip_network(net)
    ids = set()
    for a in rows("SELECT device_id, value FROM addresses WHERE kind <> 'mac'"):
        ip = ipaddress.ip_address(a["value"])
        if ip.version == n.version and ip in n:
            ids.add(a["device_id"])
    return sorted(ids)
for net in ("10.0.0.0/24", "10.0.0.48/28", "10.0.0.0/30", "10.0.0.2/31", "11.0.0.0/8", "2001:db8::/32", "2001:db8::/127"):
    check(dev_ids("--subnet", net) == addr_in(net), "devices --subnet %s" % net)
    rc, out, err = run("device", "find", net, "--format", "json")
    check(sorted(d["device_id"] for d in json.loads(out)) == addr_in(net) if rc == 0 else addr_in(net) == [],
          "device find %s" % net)
check(dev_ids("--category", "Server") == [n["device_id"] for n in nodes if n["category"] == "server"], "devices --category")
for sec in ("ok", "warning", "critical"):
    check(dev_ids("--security", sec) == [n["device_id"] for n in nodes if n["security_state"] == sec], "devices --security %s" % sec)
check(dev_ids("--since", "1h") == [n["device_id"] for n in nodes], "devices --since 1h")
check(dev_ids("--since", "2099-01-01") == [], "devices --since future")
check(dev_ids("--subnet", "10.0.0.0/24", "--security", "critical", "--status", "unauthorized") ==
      [n["device_id"] for n in nodes if n["security_state"] == "critical"], "devices filters combine")

# errors: exit codes and the exact messages
def err_case(args, code, msg, data_dir=DIR, env=None):
    rc, out, err = run(*args, data_dir=data_dir, env=env)
    check(rc == code, "%s: exit %d, want %d (%s)" % (args, rc, code, err.strip()))
    check(err.count("\n") == 1, "%s: one line on stderr: %r" % (args, err))
    check(err.strip() == msg, "%s: message %r, want %r" % (args, err.strip(), msg))

err_case(["frobnicate"], 2, "kics-query: unknown command 'frobnicate' (see 'kics-query --help')")
err_case(["devcies"], 2, "kics-query: unknown command 'devcies'; did you mean 'devices'? (see 'kics-query --help')")
err_case(["devices", "--security", "high"], 2, "kics-query: devices: invalid --security 'high' (use ok, warning or critical) (see 'kics-query devices --help')")
err_case(["devices", "--subnet", "10.0.0.1/24"], 2, "kics-query: devices: invalid --subnet: '10.0.0.1/24' has host bits set; did you mean 10.0.0.0/24? (see 'kics-query devices --help')")
err_case(["devices", "--time", "utc"], 2, "kics-query: devices: invalid --time 'utc' (use ms or iso) (see 'kics-query devices --help')")
err_case(["events", "--search", "NOT modbus"], 2, "kics-query: invalid search 'NOT modbus': FTS5 syntax error at 'NOT' (AND, OR and NOT go between two terms); to search for it as a word, quote it: --search '\"NOT\" modbus'")
err_case(["device", "show", "10.0.0.0/24"], 2, "kics-query: '10.0.0.0/24' is a network, not one device (use device find or devices --subnet)")
err_case(["devices", "--bogus"], 2, "kics-query: devices: unknown option '--bogus' (see 'kics-query devices --help')")
err_case(["devices", "--limit", "0"], 2, "kics-query: devices: invalid --limit '0' (a positive integer) (see 'kics-query devices --help')")
err_case(["devices", "--format", "xml"], 2, "kics-query: devices: invalid --format 'xml' (use table, json or csv) (see 'kics-query devices --help')")
err_case(["device", "find", "10.0.0.300"], 2, "kics-query: device find: malformed IP address '10.0.0.300' (see 'kics-query device find --help')")
err_case(["device", "show", "aa-bb-cc-dd-ee-gg"], 2, "kics-query: device show: malformed MAC or IP address 'aa-bb-cc-dd-ee-gg' (see 'kics-query device show --help')")
err_case(["device", "show", "aa:bb:cc:dd:ee"], 2, "kics-query: device show: malformed MAC or IP address 'aa:bb:cc:dd:ee' (see 'kics-query device show --help')")
err_case(["events", "--since", "yesterday"], 2, "kics-query: events: invalid time 'yesterday' for --since (use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM|-HH:MM], now, or an age such as 30m, 24h, 7d) (see 'kics-query events --help')")
err_case(["events", "--severity", "loud"], 2, "kics-query: events: invalid --severity 'loud' (use info, warning or critical) (see 'kics-query events --help')")
err_case(["events", "--search", "modbus AND"], 2, "kics-query: invalid search 'modbus AND': FTS5 syntax error at 'AND' (AND, OR and NOT go between two terms); to search for it as a word, quote it: --search 'modbus \"AND\"'")
# a path: its object_path is not an event_log column, the snippet shows it
rc, out, err = run("events", "--search", "C:\\Windows\\Temp\\payload.exe")
want = len(rows("SELECT id FROM events WHERE object_path = ?", "C:\\Windows\\Temp\\payload.exe"))
check(rc == 0 and want > 0 and out.count("[C:\\Windows\\Temp\\payload.exe]") == want, "search a path unquoted: %s" % out)
err_case(["device", "find", "no-such-device"], 1, "kics-query: no device matches found")
err_case(["device", "show", "4242"], 1, "kics-query: no device matches '4242'")
err_case(["events", "--device", "10.9.9.9"], 1, "kics-query: no device matches '10.9.9.9'")
err_case(["events", "--search", "zzzznothing"], 1, "kics-query: no events found")
err_case(["devices"], 1, "kics-query: data directory '/nonexistent/dir' does not exist", data_dir="/nonexistent/dir")
err_case(["devices"], 1, "kics-query: database '%s/kics-epp.db' does not exist (kics-epp-proxy creates it when it first starts)" % os.path.join(DIR, "empty"), data_dir=os.path.join(DIR, "empty")) if os.mkdir(os.path.join(DIR, "empty")) is None else None
err_case(["map", "nodes", "--format", "dot"], 2, "kics-query: map nodes: --format dot is only for map export (see 'kics-query map nodes --help')")
err_case(["map", "export", "--format", "csv"], 2, "kics-query: map export: map export takes --format json or dot (see 'kics-query map export --help')")
err_case(["device"], 2, "kics-query: 'device' needs a subcommand (see 'kics-query device --help') (see 'kics-query --help')")
err_case(["device", "show"], 2, "kics-query: device show: missing argument (usage: kics-query device show ID|IP|MAC|NAME) (see 'kics-query device show --help')")

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
err_case(["user", "add", "bob", "--role", "king"], 2, "kics-query: user add: invalid --role 'king' (use administrator or operator) (see 'kics-query user add --help')")

# --help of the tool and of every command
rc, out, err = run("--help", data_dir=None)
check(rc == 0 and "Commands:" in out, "kics-query --help")
cmds = [l.strip().split(" [")[0].split(" --")[0] for l in out.splitlines() if l.startswith("  ")]
for c in cmds:
    words = [w for w in c.split() if w.islower() and w.isalpha()][:2]
    if not words:
        continue
    if words[0] not in ("server", "device", "map", "user", "rules", "package",
                        "agent", "traffic", "connector"):
        words = words[:1]
    rc, hout, herr = run(*words, "--help", data_dir=None)
    check(rc == 0 and hout.startswith("usage: kics-query " + " ".join(words)), "%s --help" % words)
    # issue 12: its own help names each of its options; help COMMAND is the same
    usage = hout.split("\n\n")[0]
    for opt in set(re.findall(r"--([a-z][a-z-]+)", usage)) - {"format", "help"}:
        check(re.search(r"^  --%s\b|, --%s\b" % (opt, opt), hout, re.M), "%s --help describes --%s" % (words, opt))
    rc2, hout2, herr2 = run("help", *words, data_dir=None)
    check(rc2 == 0 and hout2 == hout, "help %s equals %s --help" % (" ".join(words), " ".join(words)))
rc, out, err = run("help", data_dir=None)
check(rc == 0 and "Commands:" in out, "kics-query help")
rc, out, err = run("device", "--help", data_dir=None)
check(rc == 0 and "device find" in out and "device show" in out and "map nodes" not in out, "group help is the group's")
rc, out, err = run("help", "devcies", data_dir=None)
check(rc == 2 and "did you mean 'devices'?" in err, "help of an unknown command suggests")

# the reader never wrote: the fixture is unchanged and no file was created
check(sorted(os.listdir(DIR)) == sorted(["kics-epp.db", "empty", "pw"] + [f for f in os.listdir(DIR) if f.startswith("kics-epp.db-")]), "no files created")

daemon_fx.finish()
PY
