#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of kics-query map render and the filtered map export
# (issue 15) on a database filled through the engine by "test-render
# --fill DIR": the SVG is parsed as XML and its nodes and edges must be
# exactly the expected devices and device pairs, each with its EPP badge
# and colours; the PNG must have a valid header and size; every filter
# gives the expected sets in the picture and in map export (JSON, per pair
# and per interaction); errors exit as the CLI contract says and leave no
# file behind.
# usage: test-render.sh KICS_QUERY TEST_RENDER
set -eu
KQ=$1
FILL=$2
DIR=$(mktemp -d "${TMPDIR:-/tmp}/kics-render-test.XXXXXX")
trap 'chmod -R u+w "$DIR"; rm -rf "$DIR"' EXIT INT TERM
"$FILL" --fill "$DIR"
python3 - "$KQ" "$DIR" <<'PY'
import json, os, struct, subprocess, sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.environ["KICS_SOURCE_ROOT"], "tests"))
import daemon_fx
from daemon_fx import check

KQ, DIR = sys.argv[1], sys.argv[2]
DB = os.path.join(DIR, "kics-epp.db")
rows = daemon_fx.rows_reader(DB)
SVG = "{http://www.w3.org/2000/svg}"
GREEN, YELLOW, RED = "#2e7d32", "#f9c80e", "#d32f2f"
GREY, UNAUTH, PLAIN = "#9e9e9e", "#f4a6a6", "#ffffff"

def run(*args):
    e = dict(os.environ)
    e.pop("KICS_DATA_DIR", None)
    p = subprocess.run([KQ, "--data-dir", DIR] + list(args),
                       capture_output=True, env=e)
    return p.returncode, p.stdout.decode(), p.stderr.decode()

nodes = {r["device_id"]: r for r in rows("SELECT * FROM map_nodes")}
by_ip = {r["ip"]: r["device_id"] for r in nodes.values()}
edges = rows("SELECT * FROM map_edges")
check(len(nodes) == 7, "fixture has 7 devices, got %d" % len(nodes))

def pair(ip1, ip2):
    a, b = by_ip[ip1], by_ip[ip2]
    return (min(a, b), max(a, b))

PLC, HIST, OLD = "10.1.0.1", "10.1.0.2", "10.2.0.3"
P50, P60, P70, ROUTER = "10.1.0.50", "10.1.0.60", "10.2.0.70", "10.1.0.254"
ALL_PAIRS = {pair(PLC, P50), pair(PLC, ROUTER), pair(PLC, HIST),
             pair(HIST, P60), pair(OLD, P70)}
# every pair of map_edges, computed here from the view itself
view_pairs = {(min(e["src_device_id"], e["dst_device_id"]),
               max(e["src_device_id"], e["dst_device_id"])) for e in edges}
check(view_pairs == ALL_PAIRS, "fixture pairs %s" % view_pairs)

def ids(*ips):
    return {by_ip[i] for i in ips}

def classes(el):
    return set(el.get("class", "").split())

def parse_svg(path):
    tree = ET.parse(path)          # well-formed XML or an exception
    root = tree.getroot()
    check(root.tag == SVG + "svg", "root element is svg")
    gn, ge = {}, {}
    for g in root.iter(SVG + "g"):
        c = classes(g)
        if "node" in c:
            gn[int(g.get("id").split("-")[1])] = g
        elif "edge" in c:
            _, a, b = g.get("id").split("-")
            ge[(int(a), int(b))] = g
    return root, gn, ge

def shapes(g):
    return [e for e in g.iter() if e.tag in (SVG + "polygon", SVG + "ellipse", SVG + "path")]

def texts(g):
    return [(t.text or "").strip() for t in g.iter(SVG + "text")]

def check_node(id_, g):
    n = nodes[id_]
    what = "node %s (%s)" % (id_, n["name"])
    c = classes(g)
    check("epp-" + n["epp_icon"] in c and "security-" + n["security_state"] in c
          and "status-" + n["status"] in c, what + ": classes %s" % c)
    border = {"ok": GREEN, "warning": YELLOW, "critical": RED}[n["security_state"]]
    fill = UNAUTH if n["status"] == "unauthorized" else PLAIN
    outline = [s for s in shapes(g) if s.get("stroke") == border]
    check(len(outline) >= 1 and outline[0].get("fill") == fill,
          what + ": border %s, fill %s" % (border, fill))
    badge = {"connected": GREEN, "disconnected": GREY}.get(n["epp_icon"])
    badges = [s for s in shapes(g) if s.get("stroke") == "transparent"
              and s.get("fill") in (GREEN, GREY)]
    if badge is None:
        check(badges == [] and "EPP" not in texts(g), what + ": no badge")
    else:
        check(len(badges) == 1 and badges[0].get("fill") == badge
              and "EPP" in texts(g), what + ": badge %s" % badge)
    check(n["name"] in texts(g), what + ": name shown")
    check(n["ip"] in texts(g), what + ": IP shown")
    router = n["category"] == "network_device"
    check(("router" in c) == router and (len(outline) == 2) == router
          and ("router" in texts(g)) == router, what + ": router mark")

def check_edge(key, g):
    rs = [e for e in edges if (min(e["src_device_id"], e["dst_device_id"]),
          max(e["src_device_id"], e["dst_device_id"])) == key]
    traffic = any(e["source"] == "traffic" for e in rs)
    what = "pair %s" % (key,)
    path = [p for p in g.iter(SVG + "path")][0]
    check(path.get("stroke") == ("#37474f" if traffic else "#1565c0"),
          what + ": colour")
    check((path.get("stroke-dasharray") is None) == traffic, what + ": dashed for EPP only")
    protos = sorted({(e["protocol"], e["port"]) for e in rs})
    label = ", ".join("%s/%d" % p for p in protos)
    check(label in texts(g), what + ": label %r in %r" % (label, texts(g)))
    apps = ", ".join(sorted({e["app_protocol"] for e in rs if e["app_protocol"]}))
    check(apps == "" or apps in texts(g), what + ": application protocols %r in %r" % (apps, texts(g)))
    check(("traffic" if traffic else "epp") in classes(g), what + ": class")
    return float(path.get("stroke-width", "1"))

# --- the whole map ---
svg = os.path.join(DIR, "map.svg")
rc, out, err = run("map", "render", "--out", svg)
check(rc == 0 and err == "", "render svg: rc %d, err %r" % (rc, err))
check(out == "%s: 7 devices, 5 device pairs (dot layout)\n" % svg, "render says what it wrote: %r" % out)
root, gn, ge = parse_svg(svg)
check(set(gn) == set(nodes), "nodes are the devices: %s" % sorted(gn))
check(set(ge) == ALL_PAIRS, "edges are the device pairs: %s" % sorted(ge))
for i, g in gn.items():
    check_node(i, g)
width = {k: check_edge(k, g) for k, g in ge.items()}
check(width[pair(PLC, P50)] > width[pair(HIST, P60)], "more bytes, wider edge")
legend = " ".join(texts(root))
for words in ("EPP agent connected", "EPP agent disconnected", "unauthorized device",
              "solid: traffic data", "dashed: EPP data only", "router"):
    check(words in legend, "legend says %r" % words)
check(not [f for f in os.listdir(DIR) if f.startswith("map.svg.")], "no temporary file left")

# --- PNG ---
png = os.path.join(DIR, "map.png")
rc, out, err = run("map", "render", "--out", png)
check(rc == 0, "render png rc %d %s" % (rc, err))
data = open(png, "rb").read()
check(data[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature")
check(data[12:16] == b"IHDR", "PNG IHDR first")
w, h = struct.unpack(">II", data[16:24])
check(100 < w <= 3840 and 100 < h <= 3840, "PNG size %dx%d" % (w, h))
check(data[-8:-4] == b"IEND", "PNG ends with IEND")

# --- filters: picture, per-pair export and per-interaction export agree ---
HOUR = ["--since", "1h"]
cases = [
    ([], set(nodes), ALL_PAIRS),
    (["--subnet", "10.1.0.0/24"], ids(PLC, HIST, P50, P60, ROUTER),
     {pair(PLC, P50), pair(PLC, ROUTER), pair(PLC, HIST), pair(HIST, P60)}),
    (["--epp-only"], ids(PLC, HIST, OLD), {pair(PLC, HIST)}),
    (HOUR, ids(PLC, HIST, P50, P60, ROUTER),
     {pair(PLC, P50), pair(PLC, ROUTER), pair(PLC, HIST), pair(HIST, P60)}),
    (["--device", P60], ids(HIST, P60), {pair(HIST, P60)}),
    (["--device", P60, "--depth", "2"], ids(HIST, P60, PLC),
     {pair(HIST, P60), pair(PLC, HIST)}),
    (["--device", "02:00:00:00:00:02", "--depth", "3"],
     ids(PLC, HIST, P50, P60, ROUTER),
     {pair(PLC, P50), pair(PLC, ROUTER), pair(PLC, HIST), pair(HIST, P60)}),
    (["--device", "hist-srv", "--depth", "0"], ids(HIST), set()),
    (["--device", str(by_ip[PLC]), "--epp-only"], ids(PLC, HIST), {pair(PLC, HIST)}),
    (["--subnet", "10.2.0.0/24", "--epp-only"], ids(OLD), set()),
    (["--subnet", "10.2.0.0/16"], ids(OLD, P70), {pair(OLD, P70)}),
]
for args, want_nodes, want_pairs in cases:
    what = " ".join(args) or "(no filter)"
    f = os.path.join(DIR, "f.svg")
    rc, out, err = run("map", "render", "--out", f, *args)
    check(rc == 0, "%s: render rc %d %s" % (what, rc, err))
    if rc != 0:
        continue
    _, gn, ge = parse_svg(f)
    check(set(gn) == want_nodes, "%s: picture nodes %s, want %s" % (what, sorted(gn), sorted(want_nodes)))
    check(set(ge) == want_pairs, "%s: picture pairs %s, want %s" % (what, sorted(ge), sorted(want_pairs)))
    for i, g in gn.items():
        check_node(i, g)
    rc, out, err = run("map", "export", "--aggregate", "pairs", *args)
    doc = json.loads(out)
    check(rc == 0 and {n["device_id"] for n in doc["nodes"]} == want_nodes,
          "%s: export nodes" % what)
    check({(e["src_device_id"], e["dst_device_id"]) for e in doc["edges"]} == want_pairs,
          "%s: export pairs %s" % (what, doc["edges"]))
    check(all(nodes[n["device_id"]] == n for n in doc["nodes"]), "%s: node objects are map_nodes rows" % what)
    rc, out, err = run("map", "export", *args)
    doc = json.loads(out)
    want_edges = [e for e in sorted(edges, key=lambda e: (e["src_device_id"], e["dst_device_id"], e["protocol"], e["port"]))
                  if e["src_device_id"] in want_nodes and e["dst_device_id"] in want_nodes
                  and (args != HOUR or e["last_seen_ms"] >= max(x["last_seen_ms"] for x in edges) - 3600000)]
    check(rc == 0 and doc["edges"] == want_edges, "%s: per-interaction export edges" % what)
    rc, out, err = run("map", "export", "--format", "dot", "--aggregate", "pairs", *args)
    check(rc == 0 and out.count(" -> ") == len(want_pairs), "%s: dot pairs" % what)

# --- the aggregated pair as JSON ---
rc, out, err = run("map", "export", "--aggregate", "pairs")
doc = json.loads(out)
p = [e for e in doc["edges"] if (e["src_device_id"], e["dst_device_id"]) == pair(PLC, HIST)][0]
check(p["protocols"] == ["tcp/445", "tcp/1433"] and p["direction"] == "both"
      and p["interactions"] == 2 and p["source"] == "epp", "PLC-HIST pair %s" % p)
p = [e for e in doc["edges"] if (e["src_device_id"], e["dst_device_id"]) == pair(PLC, P50)][0]
check(p["protocols"] == ["tcp/102", "tcp/502"] and p["direction"] == "forward"
      and p["bytes"] == 190000 + 1900, "PLC-50 pair %s" % p)
p = [e for e in doc["edges"] if (e["src_device_id"], e["dst_device_id"]) == pair(PLC, ROUTER)][0]
check(p["source"] == "traffic" and p["app_protocols"] == ["SSH"],
      "router pair is traffic data, SSH: %s" % p)
p = [e for e in doc["edges"] if (e["src_device_id"], e["dst_device_id"]) == pair(PLC, HIST)][0]
check(p["app_protocols"] == [], "EPP data names no application protocol")
check(any(e["app_protocol"] == "SSH" for e in edges), "the router edge has app_protocol SSH")
rc, out, err = run("map", "export", "--format", "dot")
check("#f9c80e" in out and "orange" not in out, "dot uses the product's yellow")

# --- errors ---
def err_case(args, code, msg, what):
    rc, out, err = run(*args)
    check(rc == code and msg in err, "%s: rc %d (want %d), stderr %r" % (what, rc, code, err))

before = sorted(os.listdir(DIR))
err_case(["map", "render", "--out", os.path.join(DIR, "m.jpg")], 2,
         "cannot tell the picture format of", "unknown extension")
err_case(["map", "render"], 2, "--out", "no --out")
err_case(["map", "render", "--out", os.path.join(DIR, "m.svg"), "--subnet", "10.0.0.0/40"], 2,
         "invalid --subnet: '10.0.0.0/40'", "bad subnet")
err_case(["map", "render", "--out", os.path.join(DIR, "m.svg"), "--depth", "2"], 2,
         "--depth needs --device", "depth alone")
err_case(["map", "render", "--out", os.path.join(DIR, "m.svg"), "--device", "x", "--depth", "-1"], 2,
         "invalid --depth", "negative depth")
err_case(["map", "render", "--out", os.path.join(DIR, "m.svg"), "--since", "yesterday-ish"], 2,
         "invalid time", "bad since")
err_case(["map", "render", "--out", os.path.join(DIR, "m.svg"), "--format", "json"], 2,
         "takes no --format", "format on render")
err_case(["map", "render", "--out", os.path.join(DIR, "m.svg"), "--colour"], 2,
         "", "unknown option")
err_case(["map", "export", "--aggregate", "protocols"], 2, "invalid --aggregate", "bad aggregate")
err_case(["map", "render", "--out", os.path.join(DIR, "m.svg"), "--device", "NO-SUCH-HOST"], 1,
         "no device matches 'NO-SUCH-HOST'", "unknown device")
err_case(["map", "render", "--out", os.path.join(DIR, "m.svg"), "--subnet", "192.168.0.0/16"], 1,
         "kics-query: no devices match", "empty result")
err_case(["map", "render", "--out", os.path.join(DIR, "nodir", "m.svg")], 1,
         "cannot write '%s'" % os.path.join(DIR, "nodir", "m.svg"), "missing directory")
err_case(["map", "render", "--out", os.path.join(DIR, "kics-epp.db", "m.png")], 1,
         "cannot write", "parent is a file")
check(sorted(os.listdir(DIR)) == before, "failed renders leave nothing: %s" % sorted(set(os.listdir(DIR)) - set(before)))
# an existing picture stays whole when a new one fails
old = open(svg, "rb").read()
run("map", "render", "--out", svg, "--subnet", "192.168.0.0/16")
check(open(svg, "rb").read() == old, "old picture kept")
# unwritable directory (only meaningful when not root)
ro = os.path.join(DIR, "ro")
os.mkdir(ro, 0o500)
if os.geteuid() != 0:
    err_case(["map", "render", "--out", os.path.join(ro, "m.svg")], 1, "Permission denied", "read-only dir")
check(os.listdir(ro) == [], "nothing in the read-only directory")

rc, out, err = run("map", "render", "--help")
check(rc == 0 and "--out FILE" in out and "--epp-only" in out and "yellow" in out, "render --help")

daemon_fx.finish("map-render")
PY
