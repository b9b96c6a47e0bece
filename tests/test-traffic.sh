#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Monitoring-point traffic end to end (issue 13): the real daemon, pcap
# files that tests/traffic-pcap.py writes with scapy, imported with
# kics-query traffic import, checked field by field in map_edges and
# map_nodes: protocols named by nDPI, initiators, ports, counters, capture
# times, VLAN, IPv6, ICMP, ARP, vendors from ieee-data, the router rule,
# skipped frames, clear errors for bad files that change nothing, and one
# interaction described by an EPP agent and by traffic shown once, from
# traffic.
# usage: test-traffic.sh KICS_EPP_PROXY MAKE_REPORT KICS_QUERY
# Needs curl, sqlite3, python3-scapy and ieee-data.
set -eu

DAEMON=$1
MKREP=$2
QUERY=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
SRC=${KICS_SOURCE_ROOT:?KICS_SOURCE_ROOT not set}
PCAP=$SRC/tests/traffic-pcap.py

/usr/bin/python3 -c 'import scapy' 2>/dev/null || {
	echo "SKIP: python3-scapy is not installed" >&2
	exit 77
}

. "$(dirname "$0")/lib.sh"
test_dir test-traffic

sql() {
	sqlite3 -bail "$DB" "$1"
}

# kics-query ARGS as root: exit status in $rc, output in $TMP/out
qrc() {
	rc=0
	"$QUERY" --data-dir "$DATA" "$@" >"$TMP/out" 2>&1 || rc=$?
}

PORT=$(free_port)
URL=https://127.0.0.1:$PORT
daemon_conf "$PORT" <<EOF
log_level: debug
traffic:
  max_flows: 1024
EOF
start_daemon

"$PCAP" protocols "$TMP/protocols.pcap" || fail "traffic-pcap.py protocols"
"$PCAP" router "$TMP/router.pcap" || fail "traffic-pcap.py router"
"$PCAP" epp "$TMP/epp.pcap" || fail "traffic-pcap.py epp"

# --- bad files: a clear error, nothing changes ---
ROWS0=$(sql "SELECT (SELECT count(*) FROM devices) + (SELECT count(*)
    FROM interactions)")
qrc traffic import "$TMP/missing.pcap"
check_eq "missing file: exit" 1 "$rc"
grep -q "cannot open '$TMP/missing.pcap': No such file or directory" \
    "$TMP/out" || fail "missing file: $(cat "$TMP/out")"
echo "not a capture" >"$TMP/text.pcap"
qrc traffic import "$TMP/text.pcap"
check_eq "text file: exit" 1 "$rc"
grep -q "'$TMP/text.pcap' is not a pcap or pcapng file" "$TMP/out" ||
    fail "text file: $(cat "$TMP/out")"
SIZE=$(wc -c <"$TMP/protocols.pcap")
head -c $((SIZE - 30)) "$TMP/protocols.pcap" >"$TMP/cut.pcap"
qrc traffic import "$TMP/cut.pcap"
check_eq "damaged file: exit" 1 "$rc"
grep -q "'$TMP/cut.pcap' is damaged after 92 packets" "$TMP/out" ||
    fail "damaged file: $(cat "$TMP/out")"
grep -q "nothing imported" "$TMP/out" || fail "damaged: $(cat "$TMP/out")"
# more flows than the table holds: batches are due before the end, so a
# check pass reads the file first, and finds the damage at its end
/usr/bin/python3 "$SRC/tests/traffic-bigpcap.py" 12000 6000 "$TMP/many.pcap" \
    6000 500 || fail "traffic-bigpcap.py"
SIZE=$(wc -c <"$TMP/many.pcap")
head -c $((SIZE - 30)) "$TMP/many.pcap" >"$TMP/many-cut.pcap"
qrc traffic import "$TMP/many-cut.pcap"
check_eq "damaged file, early batches: exit" 1 "$rc"
grep -q "'$TMP/many-cut.pcap' is damaged after 11999 packets" "$TMP/out" ||
    fail "damaged file, early batches: $(cat "$TMP/out")"
check_eq "bad files changed nothing" "$ROWS0" "$(sql "SELECT (SELECT
    count(*) FROM devices) + (SELECT count(*) FROM interactions)")"
qrc traffic import
check_eq "no FILE: usage error" 2 "$rc"
qrc traffic import "$TMP/protocols.pcap" --point 'bad name'
check_eq "bad point name: invalid" 2 "$rc"

# --- an EPP agent reports Modbus 10.0.9.10 -> 10.0.9.20:502 ---
"$MKREP" --agent agent-epp --seq 1 --mac 00:14:22:00:00:0a \
    --ip 10.0.9.10 --hostname eng-ws --tcp-to 10.0.9.20:502 \
    >"$TMP/report" || fail "make-report"
check_eq "EPP report" 200 "$(curl -sS --cacert "$DATA/pki/ca.pem" \
    -o /dev/null -w '%{http_code}' -H "Content-Type: application/x-protobuf" \
    --data-binary "@$TMP/report" "$URL/api/v1/report")"
check_eq "the EPP edge before traffic" "epp|10|600|" "$(sql "SELECT source,
    packets, bytes, app_protocol FROM map_edges")"

# --- the protocols file, relative path, point span1 ---
(cd "$TMP" && "$QUERY" --data-dir "$DATA" traffic import protocols.pcap \
    --point span1 >"$TMP/out" 2>&1) || fail "import: $(cat "$TMP/out")"
grep -q "imported '$TMP/protocols.pcap' at monitoring point 'span1': 93 packets, 14 flows, 27 devices and 13 interactions added; skipped: 1 truncated, 1 malformed, 0 not TCP/UDP/ICMP/ARP packets, 1 one-way flows" \
    "$TMP/out" || fail "import answer: $(cat "$TMP/out")"
echo "ok - import answers packets, flows, devices, interactions, skips"

# edge: initiator ip -> responder ip, protocol, port, packets, app
edge() {
	sql "SELECT s.ip || '>' || d.ip || ' ' || e.protocol || '/' ||
	    e.port || ' ' || e.packets || ' ' || e.app_protocol || ' ' ||
	    e.source FROM map_edges e
	    JOIN map_nodes s ON s.device_id = e.src_device_id
	    JOIN map_nodes d ON d.device_id = e.dst_device_id
	    WHERE d.ip = '$1'"
}
check_eq "Modbus" "10.0.1.101>10.0.2.201 tcp/502 9 Modbus traffic" \
    "$(edge 10.0.2.201)"
check_eq "S7Comm" "10.0.1.102>10.0.2.202 tcp/102 9 s7comm traffic" \
    "$(edge 10.0.2.202)"
check_eq "DNP3" "10.0.1.103>10.0.2.203 tcp/20000 9 DNP3 traffic" \
    "$(edge 10.0.2.203)"
check_eq "IEC 104" "10.0.1.104>10.0.2.204 tcp/2404 9 IEC60870 traffic" \
    "$(edge 10.0.2.204)"
check_eq "EtherNet/IP" "10.0.1.105>10.0.2.205 tcp/44818 7 EthernetIP traffic" \
    "$(edge 10.0.2.205)"
check_eq "BACnet" "10.0.1.106>10.0.2.206 udp/47808 2 BACnet traffic" \
    "$(edge 10.0.2.206)"
check_eq "TLS" "10.0.1.107>10.0.2.207 tcp/443 7 TLS traffic" \
    "$(edge 10.0.2.207)"
check_eq "DNS" "10.0.1.108>10.0.2.208 udp/53 2 DNS traffic" \
    "$(edge 10.0.2.208)"
check_eq "HTTP" "10.0.1.109>10.0.2.209 tcp/80 7 HTTP traffic" \
    "$(edge 10.0.2.209)"
check_eq "VLAN 42 Modbus" "10.0.1.110>10.0.2.210 tcp/502 9 Modbus traffic" \
    "$(edge 10.0.2.210)"
check_eq "IPv6 HTTP" "fd00::1:111>fd00::2:211 tcp/80 7 HTTP traffic" \
    "$(edge fd00::2:211)"
check_eq "ICMP" "10.0.1.112>10.0.2.212 icmp/0 4 ICMP traffic" \
    "$(edge 10.0.2.212)"
check_eq "DNP3 without SYN from port 1024: responder on 20000" \
    "10.0.1.113>10.0.2.213 tcp/20000 6 DNP3 traffic" "$(edge 10.0.2.213)"
check_eq "Modbus frame bytes and capture times" "536|1700000000001|1700000000008" \
    "$(sql "SELECT e.bytes, e.first_seen_ms, e.last_seen_ms FROM map_edges e
    JOIN map_nodes d ON d.device_id = e.dst_device_id
    WHERE d.ip = '10.0.2.201'")"
check_eq "one-way flow: no device" 0 "$(sql "SELECT count(*) FROM devices
    WHERE ip IN ('10.0.1.114', '10.0.2.214')")"
check_eq "vendors from ieee-data" \
    "Dell Inc.|TELEMECANIQUE ELECTRIQUE|Siemens AG|Rockwell Automation" \
    "$(sql "SELECT (SELECT vendor FROM map_nodes WHERE ip = '10.0.1.101')
    || '|' || (SELECT vendor FROM map_nodes WHERE ip = '10.0.2.201')
    || '|' || (SELECT vendor FROM map_nodes WHERE ip = '10.0.2.202')
    || '|' || (SELECT vendor FROM map_nodes WHERE ip = '10.0.2.205')")"
check_eq "ARP reply binds IP and MAC" "00:1b:1b:00:00:32|Siemens AG" \
    "$(sql "SELECT mac || '|' || vendor FROM map_nodes
    WHERE ip = '10.0.3.50'")"
check_eq "device added events name the traffic source" 27 \
    "$(sql "SELECT count(*) FROM event_log WHERE category = 'device_added'
    AND description LIKE '%from traffic data%span1%'")"
qrc --format json map edges
grep -q '"app_protocol":"Modbus"' "$TMP/out" ||
    fail "map edges json: $(head -c 300 "$TMP/out")"
echo "ok - map edges --format json carries app_protocol"
qrc device show 10.0.2.204
grep -q "IEC60870" "$TMP/out" || fail "device show: $(cat "$TMP/out")"
echo "ok - device show lists the peer's app protocol"

# --- the same interaction from EPP and traffic: shown once, traffic ---
qrc --format json traffic import "$TMP/epp.pcap"
check_eq "epp.pcap import" 0 "$rc"
grep -q '"packets":9' "$TMP/out" || fail "json answer: $(cat "$TMP/out")"
grep -q '"point":"import"' "$TMP/out" || fail "json answer: $(cat "$TMP/out")"
check_eq "traffic wins in map_edges" "1|traffic|9|536|Modbus" \
    "$(sql "SELECT count(*), source, packets, bytes, app_protocol
    FROM map_edges e JOIN map_nodes d ON d.device_id = e.dst_device_id
    WHERE d.ip = '10.0.9.20'")"
check_eq "both rows kept underneath" "epp traffic" "$(sql "SELECT
    group_concat(source, ' ') FROM (SELECT source FROM interactions i
    JOIN map_nodes d ON d.device_id = i.dst_device_id
    WHERE d.ip = '10.0.9.20' ORDER BY source)")"
check_eq "the agent's device was found by its MAC" 1 "$(sql "SELECT
    count(*) FROM devices WHERE ip = '10.0.9.10'")"
# (test-traffic-engine checks that an EPP vendor wins over this one)
check_eq "the agent sent no vendor: traffic's" "Dell Inc.|traffic" "$(sql "SELECT
    d.vendor || '|' || (SELECT group_concat(source) FROM
    device_attributes a WHERE a.device_id = d.id AND a.name = 'vendor'
    AND a.value = d.vendor) FROM devices d WHERE d.ip = '10.0.9.10'")"

# --- router rule: one MAC in front of six IPs ---
qrc traffic import "$TMP/router.pcap" --point span2
check_eq "router import" 0 "$rc"
check_eq "the MAC is a network device without their IPs" \
    "network_device||Cisco Systems, Inc" "$(sql "SELECT category || '|' ||
    COALESCE(ip, '') || '|' || vendor FROM map_nodes
    WHERE mac = '00:00:0c:00:00:01'")"
check_eq "the IPs behind it are MAC-less devices" 6 "$(sql "SELECT
    count(*) FROM map_nodes WHERE ip LIKE '172.16.%' AND mac IS NULL")"
check_eq "their edges" 6 "$(sql "SELECT count(*) FROM map_edges e
    JOIN map_nodes s ON s.device_id = e.src_device_id
    WHERE s.ip LIKE '172.16.%' AND e.port = 102")"

# --- a second import of the same file adds up, adds no device ---
qrc traffic import "$TMP/protocols.pcap" --point span1
grep -q "0 devices and 0 interactions added" "$TMP/out" ||
    fail "second import: $(cat "$TMP/out")"
check_eq "counters add up" 18 "$(sql "SELECT packets FROM map_edges e
    JOIN map_nodes d ON d.device_id = e.dst_device_id
    WHERE d.ip = '10.0.2.201'")"
check_eq "audited" 1 "$(sql "SELECT count(*) FROM audit_log
    WHERE action = 'traffic import' AND result = 'ok'
    AND target = 'file $TMP/router.pcap'")"

# --- an archived device seen in traffic: unauthorized (issue 12) ---
qrc device set 10.0.2.201 --status archived
check_eq "device set --status archived" 0 "$rc"
qrc traffic import "$TMP/protocols.pcap" --point span1
check_eq "import after archiving" 0 "$rc"
check_eq "the archived device is unauthorized again" "unauthorized|1" \
    "$(sql "SELECT d.status || '|' || (SELECT count(*) FROM event_log e
    WHERE e.device_id = d.id AND e.code = 4000005006
    AND e.description LIKE '%seen in traffic at monitoring point ''span1''%')
    FROM map_nodes n JOIN devices d ON d.id = n.device_id
    WHERE n.ip = '10.0.2.201'")"

# --- more flows than the table holds: whole, imported in early batches ---
qrc traffic import "$TMP/many.pcap" --point many
check_eq "many flows: exit" 0 "$rc"
grep -q "12000 packets, 6000 flows, 6200 devices and 6000 interactions added" \
    "$TMP/out" || fail "many flows: $(cat "$TMP/out")"
check_eq "many flows: every flow stored" 6000 "$(sql "SELECT count(*)
    FROM interactions WHERE source = 'traffic' AND port = 502
    AND src_device_id IN (SELECT device_id FROM addresses
    WHERE value LIKE '10.64.%')")"

stop_daemon
echo "ok - daemon stopped cleanly"
