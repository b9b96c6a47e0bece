#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Connection admission (issue 11, item 1) against the real daemon on
# 127.0.0.1, with clients bound to other loopback addresses: a handshake
# trickled one byte at a time is cut at limits.handshake_timeout_s; one
# address gets at most limits.max_connections_per_address; when every slot
# is taken, idle connections that never sent a request make room for a new
# agent, but agents that work are never pushed out; the open-files limit
# is raised to what max_connections needs, or max_connections lowered.
# Last, agents reporting at a fixed rate beside a flood of idle and
# trickling connections, and beside decode bombs, keep their success. With
# --bench (meson test --benchmark) their p99 must also stay within 2x
# (plus 20 ms) of the same run without the flood: a speed target, so
# measured as a benchmark, never in the test run.
# usage: test-admission.sh KICS_EPP_PROXY MAKE_REPORT KICS_AGENT_SIM [--bench]
# Needs python3, curl, prlimit and setpriv (util-linux); root for the last.
set -u

DAEMON=$1
MKREP=$2
SIM=$3
BENCH=${4:-}

. "$(dirname "$0")/lib.sh"
test_dir test-admission
CONF=$TMP/c.yaml
LOG=$TMP/d.log

PORT=$(free_port)

# start EXTRA-YAML...: a foreground daemon on a fresh data directory
start() {
	[ -n "$PID" ] && { kill "$PID"; wait "$PID"; PID=; }
	rm -rf "$DATA"
	{
		echo "data_dir: $DATA"
		echo "user: root"
		echo "integration_servers:"
		echo "  - name: a"
		echo "    address: 127.0.0.1"
		echo "    port: $PORT"
		echo "limits:"
		echo "  idle_timeout_s: 30"
		for l in "$@"; do
			echo "  $l"
		done
	} >"$CONF"
	start_daemon
}

"$MKREP" --agent adm-1 --seq 1 >"$TMP/r1" || fail "make-report"

# probe CASE: the python side of each case; prints one line
probe() {
	python3 - "$PORT" "$DATA/pki/ca.pem" "$TMP/r1" "$@" <<'EOF'
import socket, ssl, sys, time
port, ca, body = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read()
ctx = ssl.create_default_context(cafile=ca)
REQ = (b"POST /api/v1/report HTTP/1.1\r\nHost: x\r\nContent-Type: "
       b"application/x-protobuf\r\nContent-Length: %d\r\n\r\n" % len(body)
       + body)

def tcp(src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s

def closed(s, wait):
    """True when the daemon closes s within wait seconds."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, ssl.SSLError):
        return True
    except socket.timeout:
        return False

def status(t):
    """Sends the report on t; reads the whole answer, returns its status."""
    t.sendall(REQ)
    t.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = t.recv(4096)
        if not chunk:
            return "closed"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    n = 0
    for l in lines[1:]:
        k, v = l.split(":", 1)
        if k.strip().lower() == "content-length":
            n = int(v)
    while len(body) < n:
        chunk = t.recv(4096)
        if not chunk:
            break
        body += chunk
    return lines[0].split()[1]

def agent(src):
    try:
        t = ctx.wrap_socket(tcp(src), server_hostname="127.0.0.1")
        return t, status(t)
    except (OSError, ssl.SSLError):
        return None, "refused"

case = sys.argv[4]
if case == "trickle":
    # one byte of a ClientHello every 0.4 s: cut within the deadline
    s, t0 = tcp("127.0.0.2"), time.monotonic()
    hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 64
    for b in hello:
        try:
            s.sendall(bytes([b]))
        except OSError:
            break
        if closed(s, 0.4):
            break
    print("cut after %d s" % round(time.monotonic() - t0))
elif case == "per-address":
    idle = [tcp("127.0.0.3") for _ in range(8)]
    time.sleep(0.3)
    cut = sum(closed(s, 0.2) for s in idle)
    _, other = agent("127.0.0.2")
    print("%d of 8 cut; another address: %s" % (cut, other))
elif case == "evict":
    # 6 idle connections fill the table (max 6); an agent still gets in
    idle = [tcp("127.0.0.%d" % (3 + i % 3)) for i in range(6)]
    time.sleep(0.3)
    t, first = agent("127.0.0.2")
    cut = sum(closed(s, 0.2) for s in idle)
    print("agent %s; %d idle pushed out" % (first, cut))
elif case == "moved":
    # An agent's entry moves when closed connections before it are swept
    # (the table finds entries by fd without a scan): its acknowledged
    # report must still mark it, so that idle connections flooding the
    # table push others out, never it, the oldest.
    idle = [tcp("127.0.0.%d" % (3 + i % 3)) for i in range(5)]
    time.sleep(0.3)
    p = ctx.wrap_socket(tcp("127.0.0.2"), server_hostname="127.0.0.1")
    for s in idle[:3]:
        s.close()
    time.sleep(0.3)
    # the table is full: the sweep drops the three, P moves into a hole
    late = [tcp("127.0.0.3")]
    time.sleep(0.3)
    first = status(p)
    late += [tcp("127.0.0.%d" % (3 + i % 3)) for i in range(8)]
    time.sleep(0.3)
    print("moved agent %s, after a flood %s" % (first, status(p)))
elif case == "proven":
    # 6 agents that sent a request fill the table: none is pushed out
    agents = [agent("127.0.0.%d" % (2 + i % 3)) for i in range(6)]
    _, late = agent("127.0.0.6")
    again = [status(t) for t, _ in agents]
    print("late %s; the six: %s" % (late, " ".join(sorted(set(again)))))
EOF
}

start "handshake_timeout_s: 2"
check_eq "a trickled handshake is cut at the deadline" "cut after 2 s" \
    "$(probe trickle)"

start "max_connections_per_address: 5"
check_eq "one address, five connections" \
    "3 of 8 cut; another address: 200" "$(probe per-address)"

start "max_connections: 6" "max_connections_per_address: 6"
check_eq "idle connections make room for an agent" \
    "agent 200; 1 idle pushed out" "$(probe evict)"
check_eq "agents that work are never pushed out" \
    "late refused; the six: 200" "$(probe proven)"
grep -q 'reached by connections that all sent requests' "$TMP/d.log" ||
    fail "the log does not say why the late agent was refused"
echo "ok - the log says why"

# The table finds a connection's entry by its fd (no scan): the index
# follows entries that a sweep moves.
start "max_connections: 6" "max_connections_per_address: 6"
check_eq "an agent's entry moved by a sweep stays marked" \
    "moved agent 200, after a flood 200" "$(probe moved)"

# Open files: raised for max_connections, or max_connections lowered (as
# nobody, who cannot raise the hard limit).
start "max_connections: 3000"
kill "$PID"
wait "$PID"
PID=
rm -rf "$DATA"
start_daemon prlimit --nofile=1024:8192
check_eq "the soft open-files limit raised for max_connections" 3256 \
    "$(sed -n 's/^Max open files *\([0-9]*\).*/\1/p' "/proc/$PID/limits")"
kill "$PID"
wait "$PID"
PID=
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	rm -rf "$DATA"
	mkdir -p "$DATA"
	chown 65534:65534 "$DATA" "$TMP"
	chmod 755 "$TMP"
	start_daemon setpriv --reuid=65534 --regid=65534 --clear-groups \
	    prlimit --nofile=600:600
	grep -q 'max_connections lowered from 3000 to 344' "$TMP/d.log" ||
	    fail "max_connections not lowered to the open-files limit"
	echo "ok - max_connections lowered to what 600 open files allow"
	kill "$PID"
	wait "$PID"
	PID=
fi

# Out of open files while running (issue 11: libevent used to spin on
# accept() at 94 % CPU and log "Too many open files" 8.7 million times a
# minute): the daemon's limit is lowered under it to 24 files more than it
# has open, and 300 clients connect and stay. The listener pauses 100 ms
# after each failed accept(): over 3 s the daemon uses a fraction of a
# core, says so once, and serves an agent again once the clients leave.
start
open_fds=$(ls "/proc/$PID/fd" | wc -l)
prlimit --pid "$PID" --nofile=$((open_fds + 24)):$((open_fds + 24)) ||
    fail "prlimit --pid failed"
out=$(python3 - "$PORT" "$PID" <<'EOF'
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def cpu_ticks():
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])	# utime + stime
held = []
for _ in range(300):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    held.append(s)
time.sleep(0.5)
t0, c0 = time.monotonic(), cpu_ticks()
time.sleep(3)
used = (cpu_ticks() - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0)
print("%.2f" % used)
for s in held:
    s.close()
EOF
) || fail "EMFILE probe failed"
echo "daemon CPU while out of open files: $out of a core"
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 0.5 else 1)' \
    "$out" || fail "the daemon spins when out of open files ($out of a core)"
check_eq "one log line while out of open files" 1 \
    "$(grep -c 'accept: Too many open files; pausing the listener for 100 ms' "$TMP/d.log")"
sleep 1
set -- $("$SIM" --port "$PORT" --ca "$DATA/pki/ca.pem" --agents 2 \
    --reports 2 --quiet --json --first-agent 900 | python3 -c 'import json, sys
r = json.load(sys.stdin); print(r["acked"], r["errors"])')
check_eq "agents served once the clients left" "4 0" "$1 $2"

# --- agents beside a flood -----------------------------------------------
start
# run_sim NAME: 20 agents, 40 reports/s for 6 s; prints "acked errors p99"
run_sim() {
	"$SIM" --port "$PORT" --ca "$DATA/pki/ca.pem" --agents 20 --rate 40 \
	    --duration "${3:-6}" --quiet --json --first-agent "$2" \
	    --token-file "$TMP/tokens" >"$TMP/$1.json" ||
	    fail "$1: kics-agent-sim failed: $(cat "$TMP/$1.json")"
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["acked"], d["errors"], d["latency_ms"]["p99"])' "$TMP/$1.json"
}
set -- $(run_sim quiet 0)
Q_ACKED=$1 Q_P99=$3
# within_bounds ACKED P99: at least 90 % of the quiet run's acks and, with
# --bench, a p99 within 2x of the quiet run's (+20 ms)
within_bounds() {
	python3 -c 'import sys
q_acked, q_p99, acked, p99, bench = sys.argv[1:]
ok = float(acked) >= float(q_acked) * 0.9
if bench == "--bench":
    ok = ok and float(p99) <= 2 * float(q_p99) + 20
sys.exit(0 if ok else 1)
' "$Q_ACKED" "$Q_P99" "$1" "$2" "$BENCH"
}
python3 - "$PORT" <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
# 1,500 idle connections from three addresses, 20 trickling handshakes
idle, trickle = [], []
for i in range(1500):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (3 + i % 3), 0))
    try:
        s.connect(("127.0.0.1", port))
        idle.append(s)
    except OSError:
        s.close()
for i in range(20):
    s = socket.socket()
    s.bind(("127.0.0.6", 0))
    s.connect(("127.0.0.1", port))
    trickle.append(s)
end = time.monotonic() + 8
while time.monotonic() < end:
    for s in trickle:
        try:
            s.send(b"\x16")
        except OSError:
            pass
    time.sleep(0.5)
EOF
FLOOD=$!
sleep 1
set -- $(run_sim flood 100)
F_ACKED=$1 F_ERRORS=$2 F_P99=$3
wait "$FLOOD"
echo "quiet: $Q_ACKED acked, p99 $Q_P99 ms; flood: $F_ACKED acked," \
    "$F_ERRORS errors, p99 $F_P99 ms"
check_eq "no agent error beside the flood" 0 "$F_ERRORS"
within_bounds "$F_ACKED" "$F_P99" ||
    fail "agents beside the flood: acked or p99 out of bounds"
echo "ok - agents beside the flood: success${BENCH:+ and p99 within 2x}"
# Decode bombs (4 MiB of empty repeated messages, which took protobuf-c
# over a second each) from 2 clients beside the agents: the gate pre-scans
# each body as it arrives and refuses it after its first few KiB, before
# the rest is sent (the clients send 256 KiB and wait for the answer), and
# no agent fails; with --bench their p99 stays within 2x too.
python3 - "$PORT" "$DATA/pki/ca.pem" <<'EOF' &
import socket, ssl, sys, threading, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
bomb = b"\x0a\x07agent-b\x10\x01" + b"\x42\x00" * (2 * 1024 * 1024 - 8)
req = (b"POST /api/v1/report HTTP/1.1\r\nHost: x\r\nContent-Type: "
       b"application/x-protobuf\r\nContent-Length: %d\r\n\r\n" % len(bomb)
       + bomb)
end = time.monotonic() + 7
def client(i):
    while time.monotonic() < end:
        try:
            s = socket.socket()
            s.bind(("127.0.0.%d" % (10 + i), 0))
            s.connect(("127.0.0.1", port))
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                t.sendall(req[:256 * 1024])
                t.recv(4096)
        except OSError:
            time.sleep(0.05)
threads = [threading.Thread(target=client, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
EOF
BOMBS=$!
sleep 1
set -- $(run_sim bombs 200)
B_ACKED=$1 B_ERRORS=$2 B_P99=$3
wait "$BOMBS"
echo "quiet: $Q_ACKED acked, p99 $Q_P99 ms; bombs: $B_ACKED acked," \
    "$B_ERRORS errors, p99 $B_P99 ms"
check_eq "no agent error beside decode bombs" 0 "$B_ERRORS"
within_bounds "$B_ACKED" "$B_P99" ||
    fail "agents beside decode bombs: acked or p99 out of bounds"
grep -q 'refused before decoding: connections: more than 5000 entries (after [0-9]* of 4194299 bytes)' \
    "$TMP/d.log" || fail "no bomb was refused by the pre-scan"
echo "ok - agents beside decode bombs: every report acked${BENCH:+, p99 within 2x}"

# The same agents again: their tokens, kept in --token-file, still count.
set -- $(run_sim again 0 2)
check_eq "a rerun of the same agents with their tokens: no error" 0 "$2"
kill "$PID"
wait "$PID"
PID=
echo "test-admission: all passed"
