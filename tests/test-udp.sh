#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of UDP mode (issue 14): the real daemon, kics-agent-sim
# sending one way over UDP on 127.0.0.1 (plain, and encrypted with the key
# of a real package), datagrams written by hand for exact cases, and the
# counters of kics-query server list checked against what was sent.
# usage: test-udp.sh KICS_EPP_PROXY KICS_QUERY KICS_AGENT_SIM MAKE_REPORT
# Needs root (the control socket's Administrator), sqlite3 and python3.
set -eu

DAEMON=$1
QUERY=$2
SIM=$3
MKREP=$4

if [ "$(id -u)" != 0 ]; then
	echo "test-udp: needs root (packages through the control socket); skipped"
	exit 77
fi

. "$(dirname "$0")/lib.sh"
test_dir test-udp

q() {
	"$QUERY" --data-dir "$DATA" "$@"
}

sql() {
	sqlite3 "$DB" "$1"
}

# counter NAME SERVER: a column of server list for a server id
counter() {
	q server list --format json | python3 -c 'import json, sys
rows = [r for r in json.load(sys.stdin) if r["id"] == int(sys.argv[2])]
v = rows[0][sys.argv[1]]
print(0 if v is None else v)' "$1" "$2"
}

# wait_counter NAME SERVER VALUE: until the counter reaches VALUE (60 s:
# the machines that run the tests may be loaded)
wait_counter() {
	until=$(($(date +%s) + 60))
	while [ "$(counter "$1" "$2")" -lt "$3" ]; do
		[ "$(date +%s)" -lt "$until" ] || fail "$1 of server $2" \
		    "stays at $(counter "$1" "$2"), below $3"
		sleep 0.1
	done
}

sim() {		# kics-agent-sim over UDP, quietly
	"$SIM" --transport udp --address 127.0.0.1 --quiet "$@" >/dev/null ||
	    fail "kics-agent-sim $*"
}

PORT=$(free_port both)
PLAIN=$(free_port both)
daemon_conf "$PORT" diode <<EOF
    transport: both
  - name: plain
    address: 127.0.0.1
    port: $PLAIN
    transport: udp
    udp_encryption: false
log_level: debug
agents:
  max_agents: 30
  max_new_per_address_per_minute: 1000
limits:
  udp_rcvbuf_bytes: 1048576
EOF

mkdir -p "$DATA"
start_daemon
DIODE=$(sql "SELECT id FROM integration_servers WHERE name = 'diode'")
PLAINID=$(sql "SELECT id FROM integration_servers WHERE name = 'plain'")
check_eq "server list shows transport and UDP port" "both $PORT 1" \
    "$(counter transport "$DIODE") $(counter udp_port "$DIODE") $(counter \
    udp_encryption "$DIODE")"
check_eq "a UDP-only server is listening" "listening" \
    "$(counter state "$PLAINID")"

# --- plain reports, several fragments each, to the plain server
sim --port "$PLAIN" --agents 5 --reports 3 --rate 100 \
    --connections-per-report 120 --first-agent 0
wait_counter udp_reports_applied "$PLAINID" 15
check_eq "plain reports applied, one agent each" 5 \
    "$(sql "SELECT COUNT(*) FROM agents WHERE server_id = $PLAINID")"
check_eq "nothing dropped" "0 0 0" "$(counter udp_dropped_malformed \
    "$PLAINID") $(counter udp_dropped_undecryptable "$PLAINID") $(counter \
    udp_dropped_incomplete "$PLAINID")"

# --- plain datagrams where encryption is required: dropped, counted
sim --port "$PORT" --agents 3 --reports 2 --rate 100 --first-agent 100
wait_counter udp_dropped_undecryptable "$DIODE" 6
check_eq "plain datagrams to an encrypted server store nothing" 0 \
    "$(sql "SELECT COUNT(*) FROM agents WHERE server_id = $DIODE")"

# --- a package for the server: its key opens the datagrams
printf 'udp package password one\n' >"$TMP/pw1"
q package create --server "$DIODE" --out "$TMP/pkg1.zip" \
    --password-file "$TMP/pw1" >/dev/null || fail "package create"
KEYS=$(find "$DATA/pki" -name "udp-$DIODE-*.key" -perm 0600 | wc -l)
check_eq "the package's key is in DATA_DIR/pki, mode 0600" 1 "$KEYS"
check_eq "the database holds no key and no password" 0 \
    "$(sqlite3 "$DB" .dump | grep -c 'udp package password' || true)"
python3 - "$TMP/pkg1.zip" "$PORT" <<'EOP' || fail "metadata.json"
import json, sys, zipfile
m = json.loads(zipfile.ZipFile(sys.argv[1]).read("metadata.json"))
assert m["transport"] == "both" and m["udp_port"] == int(sys.argv[2]), m
assert m["udp_encryption"] is True, m
EOP
echo "ok - metadata.json names transport, udp_port and udp_encryption"
sim --port "$PORT" --agents 5 --reports 4 --rate 200 \
    --connections-per-report 120 --first-agent 10 --sequence-start 1 \
    --package "$TMP/pkg1.zip" --password-file "$TMP/pw1"
wait_counter udp_reports_applied "$DIODE" 20
check_eq "encrypted reports applied" 5 \
    "$(sql "SELECT COUNT(*) FROM agents WHERE server_id = $DIODE")"

# --- fragments out of order and duplicated: every report applied once
BEFORE=$(counter udp_reports_applied "$DIODE")
# (sequences 5 to 10 follow 1 to 4: a gap would be data lost)
sim --port "$PORT" --agents 5 --reports 6 --rate 200 --sequence-start 5 \
    --connections-per-report 120 --first-agent 10 --reorder 0.3 \
    --duplicate 0.3 --package "$TMP/pkg1.zip" --password-file "$TMP/pw1"
wait_counter udp_reports_applied "$DIODE" $((BEFORE + 30))
sleep 0.5
check_eq "reordered and duplicated fragments: 30 reports applied" \
    $((BEFORE + 30)) "$(counter udp_reports_applied "$DIODE")"
check_eq "no gap registered" 0 \
    "$(sql "SELECT COUNT(*) FROM event_log WHERE code = 4900005565")"

# --- spoiled datagrams: dropped and counted, nothing stored, no crash
AGENTS=$(sql "SELECT COUNT(*) FROM agents")
EVENTS=$(sql "SELECT COUNT(*) FROM events")
U0=$(counter udp_dropped_undecryptable "$DIODE")
M0=$(counter udp_dropped_malformed "$DIODE")
printf 'not the password\n' >"$TMP/pwbad"
sim --port "$PORT" --agents 2 --reports 2 --rate 100 --first-agent 200 \
    --package "$TMP/pkg1.zip" --password-file "$TMP/pwbad"
sim --port "$PORT" --agents 2 --reports 2 --rate 100 --first-agent 200 \
    --package "$TMP/pkg1.zip" --password-file "$TMP/pw1" --udp-mangle header
sim --port "$PORT" --agents 2 --reports 2 --rate 100 --first-agent 200 \
    --package "$TMP/pkg1.zip" --password-file "$TMP/pw1" \
    --udp-mangle ciphertext
wait_counter udp_dropped_undecryptable "$DIODE" $((U0 + 12))
echo "ok - wrong key, tampered header and tampered ciphertext are undecryptable"
for kind in short oversize magic; do
	sim --port "$PORT" --agents 2 --reports 2 --rate 100 \
	    --first-agent 200 --package "$TMP/pkg1.zip" \
	    --password-file "$TMP/pw1" --udp-mangle $kind
done
wait_counter udp_dropped_malformed "$DIODE" $((M0 + 12))
echo "ok - short, oversize and wrong-magic datagrams are malformed"
check_eq "spoiled datagrams stored nothing" "$AGENTS $EVENTS" \
    "$(sql "SELECT COUNT(*) FROM agents") $(sql "SELECT COUNT(*) FROM events")"
kill -0 "$PID" || fail "the daemon died"

# --- a newer package ends the key of the old one
printf 'udp package password two\n' >"$TMP/pw2"
q package create --server "$DIODE" --out "$TMP/pkg2.zip" \
    --password-file "$TMP/pw2" >/dev/null || fail "package create 2"
U0=$(counter udp_dropped_undecryptable "$DIODE")
A0=$(counter udp_reports_applied "$DIODE")
sim --port "$PORT" --agents 2 --reports 2 --rate 100 --first-agent 10 \
    --sequence-start 999000000000000000 \
    --package "$TMP/pkg1.zip" --password-file "$TMP/pw1"
wait_counter udp_dropped_undecryptable "$DIODE" $((U0 + 4))
sim --port "$PORT" --agents 2 --reports 2 --rate 100 --first-agent 10 \
    --sequence-start 999000000000000000 \
    --package "$TMP/pkg2.zip" --password-file "$TMP/pw2"
wait_counter udp_reports_applied "$DIODE" $((A0 + 4))
check_eq "superseded package refused, the new one applied" $((A0 + 4)) \
    "$(counter udp_reports_applied "$DIODE")"

# --- exactly one fragment lost: that report is dropped and counted, and
# the gap in the agent's sequence is registered once
I0=$(counter udp_dropped_incomplete "$PLAINID")
python3 - "$MKREP" "$PLAIN" <<'EOP' || fail "hand-made datagrams"
import os, socket, struct, subprocess, sys
mk, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def send(seq, skip=None):
    rep = subprocess.run([mk, "--agent", "udp-gap", "--seq", str(seq),
        "--events", "60", "--event-prefix", "g%d-" % seq],
        check=True, capture_output=True).stdout
    frags = [rep[i:i + 1400] for i in range(0, len(rep), 1400)]
    assert len(frags) >= 3, len(frags)
    mid = os.urandom(8)
    for i, f in enumerate(frags):
        if i == skip:
            continue
        hdr = b"KEU1" + bytes([0, 0]) + struct.pack(">HHH", i, len(frags),
            0) + mid + struct.pack(">I", 0)
        s.sendto(hdr + f, ("127.0.0.1", port))
send(1)
send(2, skip=1)
send(3)
EOP
until=$(($(date +%s) + 60))
until [ "$(sql "SELECT sequence FROM agents WHERE agent_id = 'udp-gap'")" = 3 ]; do
	[ "$(date +%s)" -lt "$until" ] || fail "report 3 of udp-gap not applied"
	sleep 0.1
done
echo "ok - the reports around the lost fragment are applied"
# the incomplete one goes after 10 s
wait_counter udp_dropped_incomplete "$PLAINID" $((I0 + 1))
check_eq "incomplete reports counted once" $((I0 + 1)) \
    "$(counter udp_dropped_incomplete "$PLAINID")"
check_eq "one 'EPP data lost over UDP' naming 1 missing report" 1 \
    "$(sql "SELECT COUNT(*) FROM event_log WHERE code = 4900005565 AND
    agent_id = 'udp-gap' AND description LIKE '%1 report(s) missing%'")"

# --- both: HTTPS and UDP at once for the same server
"$SIM" --address 127.0.0.1 --port "$PORT" --agents 3 --reports 5 \
    --first-agent 300 --package "$TMP/pkg2.zip" --password-file "$TMP/pw2" \
    --quiet >"$TMP/https.out" &
HTTPS_PID=$!
A0=$(counter udp_reports_applied "$DIODE")
sim --port "$PORT" --agents 3 --reports 5 --rate 100 --first-agent 400 \
    --package "$TMP/pkg2.zip" --password-file "$TMP/pw2"
wait "$HTTPS_PID" || fail "HTTPS agents beside UDP ones"
wait_counter udp_reports_applied "$DIODE" $((A0 + 15))
check_eq "both: 3 HTTPS and 3 UDP agents on one server" 6 \
    "$(sql "SELECT COUNT(*) FROM agents WHERE server_id = $DIODE AND
    sequence > 0 AND agent_id IN (SELECT agent_id FROM agents ORDER BY id
    DESC LIMIT 6)")"

# --- agents over UDP count towards max_agents (30 here)
N=$(sql "SELECT COUNT(*) FROM agents")
R0=$(counter udp_reports_refused "$DIODE")
sim --port "$PORT" --agents 20 --reports 1 --rate 200 --first-agent 500 \
    --package "$TMP/pkg2.zip" --password-file "$TMP/pw2"
wait_counter udp_reports_refused "$DIODE" $((R0 + 20 - (30 - N)))
check_eq "UDP agents beyond max_agents are refused" 30 \
    "$(sql "SELECT COUNT(*) FROM agents")"
check_eq "and registered as the agent limit" 1 \
    "$(sql "SELECT COUNT(*) > 0 FROM event_log WHERE category =
    'agent_limit_reached'")"

# --- the kernel's own drops: the receiver stopped while datagrams pour in
K0=$(counter udp_dropped_kernel "$PLAINID")
kill -STOP "$PID"
sim --port "$PLAIN" --agents 5 --reports 60 --connections-per-report 120 \
    --first-agent 0 --host-every 0
kill -CONT "$PID"
# the kernel tells its count with the next datagram it queues
sleep 1
sim --port "$PLAIN" --agents 1 --reports 1 --first-agent 0
wait_counter udp_dropped_kernel "$PLAINID" $((K0 + 1))
echo "ok - socket buffer overflow counted ($(counter udp_dropped_kernel \
    "$PLAINID") datagrams)"

# --- status shows the UDP receivers; removing the server ends its keys
q status --format json | python3 -c 'import json, sys
s = json.load(sys.stdin)
names = [r["name"] for r in s["daemon"]["udp_receivers"]]
assert sorted(names) == ["diode", "plain"], names' ||
    fail "status lists the UDP receivers"
echo "ok - status lists the UDP receivers"
q server remove "$DIODE" --force >/dev/null || fail "server remove"
check_eq "removing the server ends its UDP keys" 0 \
    "$(find "$DATA/pki" -name "udp-$DIODE-*.key" | wc -l)"
stop_daemon
if grep -q 'AddressSanitizer\|runtime error' "$LOG"; then
	fail "sanitizer reports in the daemon log"
fi
echo "ok - clean shutdown"
