#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Live capture of a monitoring point (issue 13): two network namespaces
# that this test creates and removes, joined by a veth pair. The daemon
# runs in the first and captures on its end (with a BPF filter); scapy
# replays tests/traffic-pcap.py's frames from the second. The flows reach
# map_edges within the flush interval, and a silent point registers
# "no traffic" (4000002700) once. Frames never leave the pair.
# usage: test-traffic-live.sh KICS_EPP_PROXY KICS_QUERY
# Root only (exit 77 otherwise); needs ip(8), sqlite3 and python3-scapy.
set -eu

DAEMON=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
QUERY=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
SRC=${KICS_SOURCE_ROOT:?KICS_SOURCE_ROOT not set}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: network namespaces need root" >&2
	exit 77
fi
command -v ip >/dev/null || { echo "SKIP: no ip(8)" >&2; exit 77; }
/usr/bin/python3 -c 'import scapy' 2>/dev/null ||
    { echo "SKIP: python3-scapy is not installed" >&2; exit 77; }

. "$(dirname "$0")/lib.sh"
test_dir test-traffic-live
NS_CAP=kics-cap-$$
NS_GEN=kics-gen-$$

cleanup() {
	daemon_kill
	ip netns del "$NS_CAP" 2>/dev/null || true
	ip netns del "$NS_GEN" 2>/dev/null || true
	test_cleanup
}
trap cleanup EXIT

sql() {
	sqlite3 -bail "$DB" "$1" 2>/dev/null || true
}

# wait_for WHAT SQL EXPECTED SECONDS
wait_for() {
	i=0
	while [ "$(sql "$2")" != "$3" ]; do
		i=$((i + 1))
		[ $i -lt $(($4 * 10)) ] || fail "$1: got '$(sql "$2")'"
		sleep 0.1
	done
	echo "ok - $1"
}

ip netns add "$NS_CAP" || { echo "SKIP: cannot create namespaces" >&2;
    exit 77; }
ip netns add "$NS_GEN"
ip link add kcap0 netns "$NS_CAP" type veth peer name kgen0 netns "$NS_GEN"
for ns in "$NS_CAP" "$NS_GEN"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" ip link set lo up
done
ip netns exec "$NS_CAP" ip link set kcap0 up
ip netns exec "$NS_GEN" ip link set kgen0 up

"$SRC/tests/traffic-pcap.py" replay "$TMP/replay.pcap" ||
    fail "traffic-pcap.py replay"

daemon_conf 8081 <<EOF
log_level: debug
monitoring_points:
  - name: veth-span
    interface: kcap0
    filter: "not port 22"
traffic:
  flush_interval_s: 1
  no_traffic_after_s: 10
EOF
start_daemon ip netns exec "$NS_CAP"
grep -q "monitoring point 'veth-span': capturing on 'kcap0' with filter 'not port 22'" \
    "$LOG" || fail "capture not started"
echo "ok - capture started with its filter"

ip netns exec "$NS_GEN" /usr/bin/python3 -c "
from scapy.all import rdpcap, sendp
sendp(rdpcap('$TMP/replay.pcap'), iface='kgen0', verbose=False)
" || fail "replay"

wait_for "Modbus flow within the flush interval" "SELECT s.ip || '>' ||
    d.ip || ' ' || e.port || ' ' || e.packets || ' ' || e.app_protocol
    FROM map_edges e JOIN map_nodes s ON s.device_id = e.src_device_id
    JOIN map_nodes d ON d.device_id = e.dst_device_id
    WHERE d.ip = '10.0.2.201'" "10.0.1.101>10.0.2.201 502 9 Modbus" 10
wait_for "every replayed flow" "SELECT count(*) FROM map_edges" 13 10
check_eq "live times are capture times, now" 1 "$(sql "SELECT
    first_seen_ms > (SELECT ms FROM now_ms) - 60000 FROM map_edges
    LIMIT 1")"
check_eq "IEC 104 live" "IEC60870" "$(sql "SELECT app_protocol FROM
    map_edges WHERE port = 2404")"
check_eq "VLAN frames live" 2 "$(sql "SELECT count(*) FROM map_edges
    WHERE port = 502")"
check_eq "devices added from traffic" 27 "$(sql "SELECT count(*) FROM
    event_log WHERE category = 'device_added' AND description LIKE
    '%veth-span%'")"

# silence: one "no traffic at monitoring point" after 10 s, not two
wait_for "no traffic registered" "SELECT count(*) FROM event_log
    WHERE code = 4000002700 AND description LIKE '%''veth-span''%'" 1 20
sleep 2
check_eq "once per silence" 1 "$(sql "SELECT count(*) FROM event_log
    WHERE code = 4000002700")"

stop_daemon
echo "ok - daemon stopped cleanly"
